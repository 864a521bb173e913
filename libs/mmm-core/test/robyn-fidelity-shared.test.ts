import * as fs from 'fs';
import * as path from 'path';
import { createCandidateContext, createCandidateEvaluator } from '../src';

/**
 * Candidate-by-candidate fidelity on all 2,000 of Robyn's own results
 * (../shared/peers/robyn/data/robyn_candidates_n2000.csv, Robyn 3.12.1 + glmnet 4.1-6 on
 * design_robyn_dt_mod.csv). Needs the shared folder; the committed excerpt test
 * (robyn-fidelity.test.ts) runs without it.
 */
const repoRoot = path.resolve(__dirname, '..', '..', '..');
const dataDir = path.resolve(repoRoot, '../shared/peers/robyn/data');
const designFile = path.join(dataDir, 'design_robyn_dt_mod.csv');
const candidatesFile = path.join(dataDir, 'robyn_candidates_n2000.csv');
const haveShared = fs.existsSync(designFile) && fs.existsSync(candidatesFile);
if (!haveShared) {
  console.warn(
    `Robyn 2000-candidate fidelity test skipped: ${designFile} or ${candidatesFile} is missing`,
  );
}

function readCsv(file: string): { head: string[]; rows: string[][] } {
  const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const strip = (s: string) => s.replace(/^"|"$/g, '');
  return {
    head: lines[0].split(',').map(strip),
    rows: lines.slice(1).map((l) => l.split(',').map(strip)),
  };
}

(haveShared ? describe : describe.skip)('Robyn fidelity on the 2,000 shared candidates', () => {
  const media = ['tv', 'radio', 'ooh', 'print', 'search', 'social', 'display', 'video'];

  test('glmnet mode matches NRMSE and DECOMP.RSSD to 1e-6 relative on at least 99% (in fact all)', () => {
    const design = readCsv(designFile);
    const col = (name: string) => design.rows.map((r) => Number(r[design.head.indexOf(name)]));
    const trend = col('trend');
    const trendSum = trend.reduce((a, b) => a + b, 0);
    const ctx = createCandidateContext({
      kpi: col('dep_var'),
      baseline: [
        { name: 'trend', values: trend, lower: trendSum < 0 ? -1 : 0, upper: trendSum < 0 ? 0 : 1 },
        { name: 'season', values: col('season'), lower: 0, upper: 1 },
        { name: 'promo', values: col('promo') },
        { name: 'price_index', values: col('price_index') },
      ],
      channels: media.map((m) => ({ name: m, values: col(m) })),
      ridgeSolver: 'glmnet',
    });
    const ev = createCandidateEvaluator(ctx);
    const cands = readCsv(candidatesFile);
    const idx = (name: string) => cands.head.indexOf(name);
    const coefCols = ctx.coefficientNames.map((n) => idx(`coef.${n}`));
    const params = new Float64Array(ctx.layout.size);
    let within = 0;
    let worstNrmse = 0;
    let worstRssd = 0;
    let worstCoef = 0;
    const misses: string[] = [];
    for (const row of cands.rows) {
      ctx.layout.names.forEach((name, i) => {
        params[i] = Number(row[idx(name === 'lambda' ? 'lambda_hp' : name)]);
      });
      const r = ev.evaluate(params);
      const eN = Math.abs(r.nrmse - Number(row[idx('nrmse')])) / Number(row[idx('nrmse')]);
      const refR = Number(row[idx('decomp.rssd')]);
      const eR = Math.abs(r.decompRssd - refR) / refR;
      worstNrmse = Math.max(worstNrmse, eN);
      worstRssd = Math.max(worstRssd, eR);
      coefCols.forEach((c, j) => {
        const b = Number(row[c]);
        worstCoef = Math.max(worstCoef, Math.abs(r.coefficients[j] - b) / (Math.abs(b) + 1e-6));
      });
      if (eN <= 1e-6 && eR <= 1e-6) within++;
      else misses.push(`${row[0]}: nrmse ${eN}, rssd ${eR}`);
    }
    console.log(
      `Robyn fidelity: ${within}/${cands.rows.length} within 1e-6; worst relative error ` +
        `NRMSE ${worstNrmse.toExponential(2)}, DECOMP.RSSD ${worstRssd.toExponential(2)}, ` +
        `coefficients ${worstCoef.toExponential(2)}`,
    );
    expect(misses).toEqual([]);
    expect(within).toBeGreaterThanOrEqual(0.99 * cands.rows.length);
  });
});
