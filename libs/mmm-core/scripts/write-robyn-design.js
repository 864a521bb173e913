// Writes the input table of the Robyn-compatible fixture (see make-robyn-fixture.R) as CSV:
// the project's seeded synthetic dataset, laid out like Robyn's dt_mod.
//
//   node libs/mmm-core/scripts/write-robyn-design.js '<generator options JSON>' <out.csv>
//
// Needs the compiled package (npx tsc --build libs/mmm-core). test/robyn-fidelity.test.ts
// builds the same columns from the same options; keep the two in step.
'use strict';
const fs = require('fs');
const path = require('path');
const { generateSyntheticDataset } = require(path.join(__dirname, '..', 'dist', 'src'));

const [optionsJson, outPath] = process.argv.slice(2);
if (!optionsJson || !outPath) {
  console.error('usage: write-robyn-design.js <options JSON> <out.csv>');
  process.exit(2);
}
const ds = generateSyntheticDataset(JSON.parse(optionsJson));
const o = ds.options;
const yearPeriods = o.frequency === 'weekly' ? 365.25 / 7 : 365.25;
// Stand-ins for prophet's trend and yearly season, in KPI units as prophet's are: the
// generator's level plus its trend, and one Fourier term at phase 0 (the true season has a
// seeded phase and a second harmonic, so this regressor is only partly right, as an estimate is).
const columns = {
  dep_var: ds.columns[ds.kpiColumn],
  trend: ds.truth.trend.map((v) => o.baseline + v),
  season: ds.dates.map(
    (_, t) => o.baseline * o.seasonality * Math.sin((2 * Math.PI * t) / yearPeriods),
  ),
  promo: ds.columns.promo,
  price_index: ds.columns.price_index,
};
for (const ch of ds.truth.channels) columns[ch.name] = ds.columns[ch.spendColumn];

const names = Object.keys(columns);
const lines = [names.join(',')];
for (let t = 0; t < ds.dates.length; t++)
  lines.push(names.map((n) => String(columns[n][t])).join(','));
fs.writeFileSync(outPath, lines.join('\n') + '\n');
