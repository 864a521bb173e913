import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { predict, serializeModel, type MediaMixModel } from '@mmm/core';
import { runCli } from '../src/cli';

const main = path.resolve(__dirname, '../dist/src/main.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-report-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A saved model with known curves (no fit needed): two channels over 20 weeks. */
function writeModel(): string {
  const n = 20;
  const channel = (name: string, coefficient: number, spend: number) => ({
    name,
    kind: 'paid' as const,
    coefficient,
    adstock: { theta: 0.3 },
    saturation: { type: 'hill' as const, alpha: 1.2, gamma: 0.5, inflexion: spend },
    history: Array.from({ length: n }, (_, t) => spend * (1 + 0.3 * Math.sin(t))),
    meanSpend: spend,
    costPerUnit: 1,
    carryoverMean: 0,
  });
  const model: MediaMixModel = {
    schemaVersion: 4,
    kpi: { name: 'revenue', type: 'revenue' },
    adstock: 'geometric',
    periods: {
      count: n,
      trainEnd: n,
      periodDays: 7,
      dates: Array.from({ length: n }, (_, t) =>
        new Date(Date.UTC(2024, 0, 1 + 7 * t)).toISOString().slice(0, 10),
      ),
    },
    intercept: 50000,
    lambda: 0,
    baseline: [],
    channels: [channel('tv', 40000, 20000), channel('search', 20000, 8000)],
    interactions: [],
    actual: [],
    metrics: { rsq: 0.9, adjustedRsq: 0.9, nrmse: 0.05, mape: 0.02, decompRssd: 0.1 },
  };
  model.actual = Array.from(predict(model));
  const file = path.join(dir, 'model.json');
  fs.writeFileSync(file, serializeModel(model));
  return file;
}

async function inProcess(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['report', ...args], {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('mmm report', () => {
  const model = writeModel();

  it('writes the self-contained HTML report and the tables, as the compiled command', () => {
    const allocation = path.join(dir, 'allocation.json');
    const alloc = spawnSync(
      process.execPath,
      [main, 'allocate', '--model', model, '--periods', '8', '--out', allocation],
      { encoding: 'utf8' },
    );
    expect(alloc.status).toBe(0);
    const out = path.join(dir, 'report.html');
    const tables = path.join(dir, 'tables');
    const r = spawnSync(
      process.execPath,
      [
        main,
        'report',
        '--model',
        model,
        '--allocation',
        allocation,
        '--out',
        out,
        '--tables',
        tables,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`report written to ${out} (HTML)`);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('<section id="allocation"');
    expect(html).toContain('Allocation allocation.json');
    expect(html).not.toMatch(/<script|(src|href)="https?:/);
    expect(fs.readdirSync(tables).sort()).toEqual(
      [
        'allocation.csv',
        'channels.csv',
        'decomposition.csv',
        'headline.csv',
        'quality.csv',
        'response_curves.csv',
        'tables.json',
        'waterfall.csv',
      ].sort(),
    );
    expect(fs.readFileSync(path.join(tables, 'channels.csv'), 'utf8')).toMatch(/^channel,spend,/);
  });

  it('refuses bad input in one line with exit code 2', async () => {
    expect((await inProcess('--model', model)).stderr).toBe('mmm report: --out is required');
    const notJson = path.join(dir, 'bad.json');
    fs.writeFileSync(notJson, '{"channels": [{"channel": "tv"}]}');
    const bad = await inProcess(
      '--model',
      model,
      '--allocation',
      notJson,
      '--out',
      path.join(dir, 'x.html'),
    );
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toBe(
      `mmm report: --allocation ${notJson}: channels[0].response: expected an object`,
    );
    const pdf = await inProcess(
      '--model',
      model,
      '--out',
      path.join(dir, 'x.pdf'),
      '--chromium',
      '/no/chromium',
    );
    expect(pdf.code).toBe(2);
    expect(pdf.stderr).toBe(
      'mmm report: PDF needs Chromium, which is not installed at /no/chromium: install it (apt-get install -y chromium, or scripts/ensure-chromium.sh as root), or give its path with --chromium',
    );
    expect((await inProcess('--model', model, '--out', model)).stderr).toBe(
      `mmm report: --out ${model} would overwrite an input file`,
    );
  });
});
