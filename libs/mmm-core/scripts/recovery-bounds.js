// How well can any estimator recover each channel's ROAS from a synthetic table? The
// Cramer-Rao bound at the truth: the Fisher information of the full model under Gaussian noise
// (intercept and baseline coefficients, and per channel the coefficient, theta, alpha, gamma),
// inverted, and ROAS = beta x sum(hill(adstock(spend))) / sum(spend) carried through by the
// delta method. Prints, per seed, each channel's average weekly effect in noise sds, its ROAS
// sd, and how far apart the top three by ROAS are from each other and from the fourth.
//
//   npx tsc --build libs/mmm-core
//   node libs/mmm-core/scripts/recovery-bounds.js '{"channelPreset":"standard"}' 1-10
//
// The numbers quoted in test/recovery/recovery.test.ts and docs/BENCHMARKS.md come from here.
'use strict';
const path = require('path');
const core = require(path.join(__dirname, '..', 'dist', 'src'));

const options = JSON.parse(process.argv[2] ?? '{}');
const [from, to] = (process.argv[3] ?? '1-10').split('-').map(Number);

function invert(matrix) {
  // Gauss-Jordan with partial pivoting; the matrix is scaled to unit diagonal first by the caller.
  const p = matrix.length;
  const a = matrix.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let i = 0; i < p; i++) {
    let pivot = i;
    for (let k = i + 1; k < p; k++) if (Math.abs(a[k][i]) > Math.abs(a[pivot][i])) pivot = k;
    [a[i], a[pivot]] = [a[pivot], a[i]];
    const d = a[i][i];
    for (let j = 0; j < 2 * p; j++) a[i][j] /= d;
    for (let k = 0; k < p; k++) {
      const f = a[k][i];
      if (k === i || f === 0) continue;
      for (let j = 0; j < 2 * p; j++) a[k][j] -= f * a[i][j];
    }
  }
  return a.map((row) => row.slice(p));
}

const sum = (v) => v.reduce((a, b) => a + b, 0);
const response = (spend, theta, alpha, gamma) =>
  Array.from(core.hillSaturation(core.geometricAdstock(spend, theta), alpha, gamma).saturated);

const perChannel = new Map();
for (let seed = from; seed <= to; seed++) {
  const ds = core.generateSyntheticDataset({ ...options, seed });
  const n = ds.dates.length;
  const kpi = ds.columns[ds.kpiColumn];
  const input = core.mediaMixInput({
    dates: ds.dates,
    kpi,
    controls: ds.controlColumns.map((name) => ({ name, values: ds.columns[name] })),
    paid: ds.truth.channels.map((c) => ({ name: c.name, values: ds.columns[c.spendColumn] })),
  });
  // Columns of the Jacobian of the mean KPI: the linear baseline, then per channel the
  // response (for beta) and beta x its derivatives in theta, alpha, gamma.
  const columns = [new Array(n).fill(1), ...input.baseline.map((b) => Array.from(b.values))];
  const channels = ds.truth.channels.map((c) => {
    const spend = ds.columns[c.spendColumn];
    const h = [c.theta, c.alpha, c.gamma];
    const at = response(spend, ...h);
    const first = columns.length;
    columns.push(at);
    const dSum = h.map((value, k) => {
      const e = 1e-5;
      const up = h.slice();
      const down = h.slice();
      up[k] = value + e;
      down[k] = value - e;
      const ru = response(spend, ...up);
      const rd = response(spend, ...down);
      columns.push(ru.map((u, t) => (c.coefficient * (u - rd[t])) / (2 * e)));
      return (sum(ru) - sum(rd)) / (2 * e);
    });
    // d ROAS / d (beta, theta, alpha, gamma)
    const gradient = [sum(at), ...dSum.map((d) => c.coefficient * d)].map((g) => g / c.totalSpend);
    return { c, first, gradient };
  });
  const scale = columns.map((col) => Math.sqrt(sum(col.map((v) => v * v))) || 1);
  const fisher = columns.map((ci, i) =>
    columns.map((cj, j) => sum(ci.map((v, t) => v * cj[t])) / scale[i] / scale[j]),
  );
  const inverse = invert(fisher);
  const s2 = ds.truth.noiseSd ** 2;
  const cov = (i, j) => (s2 * inverse[i][j]) / scale[i] / scale[j];
  const rows = channels.map(({ c, first, gradient }) => {
    let v = 0;
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) v += gradient[a] * gradient[b] * cov(first + a, first + b);
    }
    return {
      name: c.name,
      roas: c.roas,
      sd: Math.sqrt(v),
      effectToNoise: c.totalContribution / n / ds.truth.noiseSd,
    };
  });
  for (const r of rows) {
    const acc = perChannel.get(r.name) ?? { sd: [], effect: [] };
    acc.sd.push(r.sd / r.roas);
    acc.effect.push(r.effectToNoise);
    perChannel.set(r.name, acc);
  }
  const ranked = rows.slice().sort((a, b) => b.roas - a.roas);
  const gaps = [0, 1, 2].map((i) => {
    const [x, y] = [ranked[i], ranked[i + 1]];
    return `${x.name}-${y.name} ${((x.roas - y.roas) / Math.hypot(x.sd, y.sd)).toFixed(1)}`;
  });
  const relative = rows.map((r) => r.sd / r.roas).sort((a, b) => a - b);
  const medianSd = (relative[3] + relative[4]) / 2;
  const meanKpi = sum(kpi) / n;
  console.log(
    `seed ${seed}: noise ${(100 * (ds.truth.noiseSd / meanKpi)).toFixed(2)}% of the mean KPI; ` +
      `ROAS sd ${rows.map((r) => `${r.name} ${((100 * r.sd) / r.roas).toFixed(0)}%`).join(', ')}` +
      ` (median ${(100 * medianSd).toFixed(0)}%); top-three gaps in sds: ${gaps.join(', ')}`,
  );
}
const range = (v, digits, k = 1) =>
  `${(k * Math.min(...v)).toFixed(digits)}-${(k * Math.max(...v)).toFixed(digits)}`;
console.log('over the seeds:');
for (const [name, acc] of perChannel) {
  console.log(
    `  ${name.padEnd(8)} ROAS sd ${range(acc.sd, 0, 100)}%, average weekly effect ` +
      `${range(acc.effect, 2)} noise sds`,
  );
}
