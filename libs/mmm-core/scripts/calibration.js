// Calibration of the fit's intervals on the synthetic generator (known truth): for each channel
// preset, noise level and seed, fit with the default settings (mmm fit's: 2,000 x 5, posterior
// choice, 200 model draws) and check whether each channel's 90% ROAS interval holds the true
// ROAS; the point estimate's |ROAS error| beside the refit at the TRUE hyperparameters (the
// oracle: only the regression estimated, lambda_hp 0); Spearman's rank correlation of fitted
// and true ROAS. Prints one line per seed and a markdown table for docs/BENCHMARKS.md.
//
//   npm run bench:calibration                       (builds first)
//   node libs/mmm-core/scripts/calibration.js [seeds 1-10] [presets standard,hard] [noise 0.03,0.086] ['{fit options}']
//   node libs/mmm-core/scripts/calibration.js cost     (what the draws add to the default fit)
//
// Generator `noise` 0.03 and 0.086 are sds of 1.75% and 5.0% of the mean KPI.
'use strict';
const path = require('path');
const core = require(path.join(__dirname, '..', 'dist', 'src'));

const [from, to] = (process.argv[2] ?? '1-10').split('-').map(Number);
const presets = (process.argv[3] ?? 'standard,hard').split(',');
const noises = (process.argv[4] ?? '0.03,0.086').split(',').map(Number);
const fitOptions = JSON.parse(process.argv[5] ?? '{}');
const NOISE_SHARE = { 0.03: '1.75%', 0.086: '5%' };

const median = (values) => {
  const s = values.slice().sort((a, b) => a - b);
  const h = s.length / 2;
  return s.length % 2 ? s[Math.floor(h)] : (s[h - 1] + s[h]) / 2;
};
const ranks = (values) => {
  const order = values.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]);
  const r = new Array(values.length);
  order.forEach(([, i], k) => (r[i] = k));
  return r;
};
const spearman = (a, b) => {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (ra[i] - rb[i]) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
};
const pct = (v) => `${(100 * v).toFixed(1)}%`;

/** The generator's hyperparameters as a genome of the plan's layout, lambda_hp 0. */
function trueGenome(layout, truth) {
  const genome = new Float64Array(layout.size);
  layout.names.forEach((name, j) => {
    if (name === 'lambda') return;
    const at = name.lastIndexOf('_');
    const channel = truth.find((c) => c.name === name.slice(0, at));
    const kind = name.slice(at + 1).replace(/s$/, '');
    genome[j] = channel[kind];
  });
  return genome;
}

async function cell(preset, noise) {
  const seeds = [];
  for (let seed = from; seed <= to; seed++) {
    const ds = core.generateSyntheticDataset({
      seed,
      periods: 156,
      channels: 8,
      noise,
      channelPreset: preset,
    });
    const truth = ds.truth.channels;
    const table = {
      dates: ds.dates,
      kpi: ds.columns[ds.kpiColumn],
      controls: ds.controlColumns.map((name) => ({ name, values: ds.columns[name] })),
      paid: truth.map((c) => ({ name: c.name, values: ds.columns[c.spendColumn] })),
    };
    const started = performance.now();
    const result = await core.fitMediaMix(table, { seed: 1, ...fitOptions });
    const seconds = (performance.now() - started) / 1000;
    const plan = core.planMediaMixFit(table, {});
    const oracle = core.buildFittedModel(plan.input, trueGenome(plan.search.context.layout, truth));
    const u = result.model.uncertainty;
    // The conditional intervals, for comparison: the same draws at the chosen hyperparameters.
    const conditional = core.drawModelUncertainty(
      plan.input,
      result.model,
      result.search.chosenParameters,
      { draws: 200, seed: 1 },
    ).combined;
    const rows = truth.map((t) => {
      const fit = result.channels.find((c) => c.name === t.name);
      const at = oracle.channels.find((c) => c.name === t.name);
      const combined = u.combined.channels.find((c) => c.name === t.name).roas;
      const posterior = u.posterior?.channels.find((c) => c.name === t.name).roas;
      const fixed = conditional.channels.find((c) => c.name === t.name).roas;
      return {
        name: t.name,
        truth: t.roas,
        roas: fit.roas,
        oracle: at.roas,
        combined,
        posterior,
        fixed,
      };
    });
    const covered = (key) =>
      rows.filter((r) => r[key] && r[key].lower <= r.truth && r.truth <= r[key].upper).length;
    const s = {
      seed,
      seconds,
      covered: covered('combined'),
      coveredPosterior: covered('posterior'),
      coveredFixed: covered('fixed'),
      width: rows.map((r) => (r.combined.upper - r.combined.lower) / r.truth),
      error: median(rows.map((r) => Math.abs(r.roas / r.truth - 1))),
      oracleError: median(rows.map((r) => Math.abs(r.oracle / r.truth - 1))),
      rank: spearman(
        rows.map((r) => r.roas),
        rows.map((r) => r.truth),
      ),
      rows,
    };
    seeds.push(s);
    console.log(
      `${preset} ${NOISE_SHARE[noise] ?? noise} seed ${seed}: covered ${s.covered}/8 ` +
        `(posterior-only ${s.coveredPosterior}/8, conditional ${s.coveredFixed}/8), median width ${pct(median(s.width))}, ` +
        `median |error| ${pct(s.error)} (oracle ${pct(s.oracleError)}), rank ${s.rank.toFixed(2)}, ` +
        `${seconds.toFixed(1)} s; ` +
        rows
          .map(
            (r) =>
              `${r.name} ${r.truth.toFixed(2)}/${r.roas.toFixed(2)} [${r.combined.lower.toFixed(2)}, ${r.combined.upper.toFixed(2)}]`,
          )
          .join(' '),
    );
  }
  const channels = seeds.length * 8;
  const sum = (key) => seeds.reduce((a, s) => a + s[key], 0);
  const bySeedError = seeds.map((s) => s.error);
  return {
    preset,
    noise,
    seeds: seeds.length,
    coverage: sum('covered') / channels,
    coveragePosterior: sum('coveredPosterior') / channels,
    coverageFixed: sum('coveredFixed') / channels,
    width: median(seeds.flatMap((s) => s.width)),
    error: median(bySeedError),
    oracleError: median(seeds.map((s) => s.oracleError)),
    within: seeds.filter((s) => s.error <= 1.5 * s.oracleError).length,
    worstRatio: Math.max(...seeds.map((s) => s.error / s.oracleError)),
    rankMedian: median(seeds.map((s) => s.rank)),
    rankMin: Math.min(...seeds.map((s) => s.rank)),
    seconds: median(seeds.map((s) => s.seconds)),
  };
}

/**
 * What the draws add to the default fit (156 weeks x 8 channels, seed 1): the fit without
 * draws, the draws step alone (the fit's model, its posterior's draws), and the saved model's
 * size with and without them; medians of `repeats` runs.
 */
async function cost(repeats = 5) {
  const ds = core.generateSyntheticDataset({ seed: 1, periods: 156, channels: 8, noise: 0.03 });
  const table = {
    dates: ds.dates,
    kpi: ds.columns[ds.kpiColumn],
    controls: ds.controlColumns.map((name) => ({ name, values: ds.columns[name] })),
    paid: ds.truth.channels.map((c) => ({ name: c.name, values: ds.columns[c.spendColumn] })),
  };
  const fits = [];
  const steps = [];
  let result;
  for (let r = 0; r < repeats; r++) {
    let started = performance.now();
    result = await core.fitMediaMix(table, { seed: 1, draws: 0 });
    fits.push((performance.now() - started) / 1000);
    const input = core.planMediaMixFit(table).input;
    started = performance.now();
    core.drawModelUncertainty(input, result.model, result.search.chosenParameters, {
      draws: 200,
      seed: 1,
      hyperparameters: result.search.posterior.genomes,
    });
    steps.push((performance.now() - started) / 1000);
  }
  const withDraws = await core.fitMediaMix(table, { seed: 1 });
  const bytes = (m) => Buffer.byteLength(core.serializeModel(m));
  console.log(
    `fit without draws ${median(fits).toFixed(2)} s (${fits.map((v) => v.toFixed(2)).join(', ')}); ` +
      `200 draws ${median(steps).toFixed(3)} s (${steps.map((v) => v.toFixed(3)).join(', ')}); ` +
      `saved model ${(bytes(result.model) / 1024).toFixed(0)} KiB without draws, ` +
      `${(bytes(withDraws.model) / 1024).toFixed(0)} KiB with`,
  );
}

async function main() {
  if (process.argv[2] === 'cost') return cost();
  const cells = [];
  for (const preset of presets) for (const noise of noises) cells.push(await cell(preset, noise));
  console.log('');
  console.log(
    '| preset | noise | 90% coverage (before: posterior-only, conditional) | median relative width | median of median abs ROAS error | oracle | seeds within 1.5x oracle (worst ratio) | rank correlation, median over seeds (min) | fit s (median) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const c of cells) {
    console.log(
      `| ${c.preset} | ${NOISE_SHARE[c.noise] ?? c.noise} | ${pct(c.coverage)} (${pct(c.coveragePosterior)}, ${pct(c.coverageFixed)}) | ` +
        `${pct(c.width)} | ${pct(c.error)} | ${pct(c.oracleError)} | ${c.within}/${c.seeds} (${c.worstRatio.toFixed(2)}x) | ` +
        `${c.rankMedian.toFixed(2)} (${c.rankMin.toFixed(2)}) | ${c.seconds.toFixed(1)} |`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
