// The recovery test's measurement on more seeds than the test asserts: for each seed, fit the
// generator's table (5,000 x 2 candidates, search seed 1, as test/recovery/recovery.test.ts)
// and print the median |ROAS error| over the channels, whether the top three by ROAS are in
// order, and each channel's error; then how many seeds pass each part of the bar.
//
//   npx tsc --build libs/mmm-core
//   node libs/mmm-core/scripts/recovery-seeds.js [posterior|best-fit|knee] [1-10] ['{generator options}']
//
// The seeds 1-10 table of docs/BENCHMARKS.md comes from here (about 15 s per rule on 2 cores).
'use strict';
const path = require('path');
const core = require(path.join(__dirname, '..', 'dist', 'src'));

const selection = process.argv[2] ?? 'posterior';
const [from, to] = (process.argv[3] ?? '1-10').split('-').map(Number);
const options = JSON.parse(process.argv[4] ?? '{}');

function median(values) {
  const s = values.slice().sort((a, b) => a - b);
  const h = s.length / 2;
  return s.length % 2 ? s[Math.floor(h)] : (s[h - 1] + s[h]) / 2;
}
const topThree = (pairs) =>
  pairs
    .slice()
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map((p) => p[0])
    .join(',');

async function main() {
  let medianPasses = 0;
  let orderPasses = 0;
  let bothPass = 0;
  for (let seed = from; seed <= to; seed++) {
    const ds = core.generateSyntheticDataset({ noise: 0.03, ...options, seed });
    const truth = ds.truth.channels;
    const result = await core.fitMediaMix(
      {
        dates: ds.dates,
        kpi: ds.columns[ds.kpiColumn],
        controls: ds.controlColumns.map((name) => ({ name, values: ds.columns[name] })),
        paid: truth.map((c) => ({ name: c.name, values: ds.columns[c.spendColumn] })),
      },
      { iterations: 5000, trials: 2, seed: 1, selection },
    );
    const fitted = truth.map((t) => result.channels.find((c) => c.name === t.name).roas);
    const errors = fitted.map((r, i) => r / truth[i].roas - 1);
    const m = median(errors.map(Math.abs));
    const fittedTop = topThree(truth.map((t, i) => [t.name, fitted[i]]));
    const inOrder = fittedTop === topThree(truth.map((t) => [t.name, t.roas]));
    if (m < 0.15) medianPasses++;
    if (inOrder) orderPasses++;
    if (m < 0.15 && inOrder) bothPass++;
    console.log(
      `seed ${seed}: median |ROAS error| ${(100 * m).toFixed(1)}%, top three ` +
        `${inOrder ? 'in order' : `wrong (${fittedTop})`}; ` +
        truth.map((t, i) => `${t.name} ${(100 * errors[i]).toFixed(0)}%`).join(' '),
    );
  }
  const n = to - from + 1;
  console.log(
    `${selection}: median < 15% on ${medianPasses}/${n}, top three in order on ` +
      `${orderPasses}/${n}, both on ${bothPass}/${n}`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
