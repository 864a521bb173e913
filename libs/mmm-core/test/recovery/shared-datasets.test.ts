/**
 * Recovery on public datasets with documented ground truth (../shared/datasets/README.md).
 * These files live outside the repository: the block is skipped, with a warning, when they
 * are absent; the project's own recovery tests (recovery.test.ts) do not need them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fitMediaMix } from '../../src/outputs';

const datasets = path.resolve(__dirname, '../../../..', '../shared/datasets');
const haveShared = fs.existsSync(path.join(datasets, 'pymc_marketing_mmm_roas_data.csv'));
if (!haveShared) {
  console.warn(`shared datasets not found at ${datasets}: public-dataset recovery tests skipped`);
}

function readCsv(file: string) {
  const lines = fs.readFileSync(path.join(datasets, file), 'utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l) => l.split(','));
  return {
    text: (name: string) => rows.map((r) => r[header.indexOf(name)]),
    number: (name: string) => rows.map((r) => Number(r[header.indexOf(name)])),
  };
}

jest.setTimeout(60_000);

(haveShared ? describe : describe.skip)('recovery on public datasets with known truth', () => {
  it('recovers ROAS on PyMC-Marketing mmm_roas_data within 20% despite its confounder', async () => {
    // True ROAS from the file's counterfactual columns: x1 93.39, x2 171.41. The unobserved
    // confounder z (corr(x1, z) = 0.71) is left out, as the notebook does.
    const csv = readCsv('pymc_marketing_mmm_roas_data.csv');
    const result = await fitMediaMix(
      {
        dates: csv.text('date'),
        kpi: csv.number('y'),
        paid: [
          { name: 'x1', values: csv.number('x1') },
          { name: 'x2', values: csv.number('x2') },
        ],
      },
      { iterations: 3000, trials: 3, seed: 1 }, // the default model choice: 'posterior'
    );
    const roas = Object.fromEntries(result.channels.map((c) => [c.name, c.roas!]));
    console.log(
      `mmm_roas_data: ROAS x1 ${roas.x1.toFixed(1)} (true 93.39), x2 ${roas.x2.toFixed(1)} (true 171.41)`,
    );
    expect(Math.abs(roas.x1 / 93.39 - 1)).toBeLessThan(0.2);
    expect(Math.abs(roas.x2 / 171.41 - 1)).toBeLessThan(0.2);
  });

  it('recovers the contributions of PyMC-Marketing mmm_example (model-form mismatch noted)', async () => {
    // Truth (DGP re-simulated, README): contribution x1 274,848 and x2 65,906 over 179 weeks.
    // The DGP uses normalised 8-lag adstock, LOGISTIC saturation and a concave trend; this
    // engine fits geometric adstock, Hill and a linear trend, so x1 (29% of the KPI, nearly
    // saturated) is the harder one: it is held to 40%, x2 to 20%.
    const csv = readCsv('pymc_marketing_mmm_example.csv');
    const result = await fitMediaMix(
      {
        dates: csv.text('date_week'),
        kpi: csv.number('y'),
        controls: [
          { name: 'event_1', values: csv.number('event_1') },
          { name: 'event_2', values: csv.number('event_2') },
        ],
        paid: [
          { name: 'x1', values: csv.number('x1') },
          { name: 'x2', values: csv.number('x2') },
        ],
      },
      { iterations: 3000, trials: 3, seed: 1 }, // the default model choice: 'posterior'
    );
    const contribution = Object.fromEntries(result.channels.map((c) => [c.name, c.contribution]));
    console.log(
      `mmm_example: contribution x1 ${contribution.x1.toFixed(0)} (true 274848), x2 ${contribution.x2.toFixed(0)} (true 65906)`,
    );
    expect(Math.abs(contribution.x1 / 274848 - 1)).toBeLessThan(0.4);
    expect(Math.abs(contribution.x2 / 65906 - 1)).toBeLessThan(0.2);
    expect(result.train.rsq).toBeGreaterThan(0.9);
  });
});
