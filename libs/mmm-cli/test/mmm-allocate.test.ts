import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serializeModel, type MediaMixModel } from '@mmm/core';
import { runCli } from '../src/cli';

// The compiled command, as an analyst runs it (tests run after `tsc --build`), and the
// committed bin that npm links as `mmm`.
const main = path.resolve(__dirname, '../dist/src/main.js');
const bin = path.resolve(__dirname, '../bin/mmm.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-allocate-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function mmm(...args: string[]) {
  const r = spawnSync(process.execPath, [main, 'allocate', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A saved model with known curves (no fit needed): two S-shaped channels, one concave. */
function writeModel(
  name: string,
  kpiType: 'revenue' | 'conversions' = 'revenue',
  withDraws = false,
): string {
  const n = 52;
  const channel = (
    name: string,
    coefficient: number,
    alpha: number,
    inflexion: number,
    spend: number,
    theta: number,
  ) => ({
    name,
    kind: 'paid' as const,
    coefficient,
    adstock: { theta },
    saturation: { type: 'hill' as const, alpha, gamma: 0.5, inflexion },
    history: Array.from({ length: n }, (_, t) => spend * (1 + 0.4 * Math.sin(t))),
    meanSpend: spend,
    costPerUnit: 1,
    carryoverMean: 0,
  });
  const model: MediaMixModel = {
    schemaVersion: 4,
    kpi: { name: kpiType === 'revenue' ? 'revenue' : 'orders', type: kpiType },
    adstock: 'geometric',
    periods: { count: n, trainEnd: n },
    intercept: 500000,
    lambda: 0,
    baseline: [],
    channels: [
      channel('tv', 400000, 2.2, 250000, 70000, 0.6),
      channel('search', 250000, 1.6, 40000, 45000, 0.1),
      channel('social', 150000, 0.9, 60000, 40000, 0.3),
    ],
    interactions: [],
    actual: new Array<number>(n).fill(600000),
    metrics: { rsq: 0.9, adjustedRsq: 0.9, nrmse: 0.05, mape: 0.02, decompRssd: 0.1 },
  };
  if (withDraws) {
    // Three draws: every coefficient at 0.8x, 1x and 1.2x of the model's.
    const scales = [0.8, 1, 1.2];
    model.uncertainty = {
      level: 0.9,
      draws: {
        count: 3,
        intercept: scales.map(() => model.intercept),
        baseline: [],
        channels: model.channels.map((c) => ({
          coefficient: scales.map((k) => k * c.coefficient),
          adstock: {},
          saturation: {},
        })),
        interactions: [],
      },
    };
  }
  const file = path.join(dir, name);
  fs.writeFileSync(file, serializeModel(model));
  return file;
}

const model = writeModel('model.json');
const rulesFile = (name: string, rules: unknown) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(rules));
  return file;
};

describe('mmm allocate', () => {
  it("gives the response and lift intervals over the model's draws", () => {
    const drawn = writeModel('drawn.json', 'revenue', true);
    const r = mmm('--model', drawn, '--periods', '10', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    // Responses scale with the coefficients: the 5% and 95% quantiles of 0.8x, 1x, 1.2x.
    const lift = s.response.lift;
    expect(lift.lower).toBeCloseTo(0.82 * lift.estimate, 6);
    expect(lift.upper).toBeCloseTo(1.18 * lift.estimate, 6);
    const plain = JSON.parse(mmm('--model', model, '--periods', '10', '--json').stdout);
    expect(plain.response.lift).toMatchObject({ lower: null, upper: null });
  });

  it('prints a table and writes the allocation as JSON', () => {
    const out = path.join(dir, 'allocation.json');
    const r = mmm('--model', model, '--budget', '1560000', '--periods', '10', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^channel +current +recommended +change +revenue now +revenue then +ROAS +marginal +bound$/m,
    );
    expect(r.stdout).toMatch(/^tv +70,000 +[\d,]+ +[+-]\d+\.\d%/m);
    expect(r.stdout).toMatch(/^total +155,000 +156,000 +\+0\.6%/m);
    expect(r.stdout).toContain('incremental revenue over the horizon: ');
    expect(r.stdout).toMatch(/^method: global on a budget grid .* status grid-optimal/m);
    const s = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(s.channels.map((c: { channel: string }) => c.channel)).toEqual([
      'tv',
      'search',
      'social',
    ]);
    for (const c of s.channels) {
      expect(Object.keys(c)).toEqual(
        expect.arrayContaining([
          'channel',
          'current',
          'recommended',
          'marginalRoas',
          'roas',
          'bound',
          'response',
        ]),
      );
      expect(c).not.toHaveProperty('cpa');
    }
    const perPeriod = s.channels.reduce(
      (a: number, c: { recommended: number }) => a + c.recommended,
      0,
    );
    expect(perPeriod).toBeCloseTo(156000, 6);
    expect(s).toMatchObject({
      periods: 10,
      budget: 1560000,
      objective: 'response',
      method: 'grid-dp+kkt',
    });
    expect(s.lift.absolute).toBeCloseTo(
      s.response.recommended.estimate - s.response.current.estimate,
      6,
    );
    expect(s.response.recommended.estimate).toBeGreaterThanOrEqual(s.reference.response);
    expect(s.expectedKpi.recommended.estimate).toBeGreaterThan(0);
    expect(s.binding[0]).toMatchObject({ rule: 'budget', kind: 'budget' });
    expect(s.frontier).toBeNull();
  });

  it('prints the same JSON with --json, and a frontier on request', () => {
    const rules = rulesFile('rules.json', {
      defaultChannelRule: { minMultiple: 0.5, maxMultiple: 2 },
      channels: { social: { locked: true } },
      groups: [{ name: 'digital', channels: ['search', 'social'], minShare: 0.4 }],
    });
    const r = mmm(
      '--model',
      model,
      '--periods',
      '4',
      '--bounds',
      rules,
      '--frontier',
      '400000:800000:5',
      '--json',
    );
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.channels[2]).toMatchObject({ channel: 'social', recommended: 40000, bound: 'locked' });
    const digital = s.channels[1].recommended + s.channels[2].recommended;
    expect(digital / 155000).toBeGreaterThanOrEqual(0.4 - 1e-12);
    expect(s.frontier.map((p: { budget: number }) => p.budget)).toEqual([
      400000, 500000, 600000, 700000, 800000,
    ]);
    for (let i = 1; i < 5; i++)
      expect(s.frontier[i].response).toBeGreaterThan(s.frontier[i - 1].response);
    const text = mmm(
      '--model',
      model,
      '--periods',
      '4',
      '--bounds',
      rules,
      '--frontier',
      '400000:800000:5',
    );
    expect(text.stdout).toMatch(
      /^efficient frontier \(budget over the horizon\):\nbudget +revenue +ROAS +marginal\n400,000 /m,
    );
    expect(text.stdout).toMatch(/^ +channels\.social\.locked +social +40,000 +\d/m);
  });

  it('answers the ROI and target objectives, with CPA for a conversions KPI', () => {
    const roi = JSON.parse(
      mmm('--model', model, '--periods', '4', '--objective', 'roi', '--json').stdout,
    );
    expect(roi.objective).toBe('roi');
    expect(roi.spend.recommended).toBeLessThanOrEqual(4 * 155000 * (1 + 1e-12));
    const target = JSON.parse(
      mmm(
        '--model',
        model,
        '--periods',
        '4',
        '--budget',
        '2000000',
        '--objective',
        'target-roas',
        '--target',
        String(0.9 * roi.roas.recommended),
        '--json',
      ).stdout,
    );
    expect(target.roas.recommended).toBeCloseTo(0.9 * roi.roas.recommended, 5);
    const conversions = writeModel('orders.json', 'conversions');
    const cpa = mmm(
      '--model',
      conversions,
      '--periods',
      '4',
      '--objective',
      'target-cpa',
      '--target',
      '0.5',
      '--target-on',
      'marginal',
      '--json',
    );
    expect(cpa.stderr).toBe('');
    const c = JSON.parse(cpa.stdout);
    expect(c.channels[0]).toHaveProperty('cpa');
    expect(c.channels[0]).not.toHaveProperty('roas');
    expect(c.targetOn).toBe('marginal');
  });

  it('fails with one line and exit code 2 on what the user can fix', async () => {
    const cases: [string[], RegExp][] = [
      [['--periods', '4'], /^mmm allocate: --model is required$/],
      [['--model', model], /^mmm allocate: --periods is required$/],
      [
        ['--model', model, '--periods', '4', '--budget', '-5'],
        /--budget must be a finite number >= 0, got '-5'/,
      ],
      [
        ['--model', model, '--periods', '4', '--budget', 'Infinity'],
        /--budget must be a finite number >= 0/,
      ],
      [
        ['--model', path.join(dir, 'none.json'), '--periods', '4'],
        /cannot read --model .*none\.json: no such file/,
      ],
      [
        ['--model', model, '--periods', '4', '--objective', 'target-roas'],
        /--objective target-roas needs --target/,
      ],
      [
        ['--model', model, '--periods', '4', '--objective', 'target-cpa', '--target', '2'],
        /objective: target-cpa needs a conversions KPI/,
      ],
      [
        ['--model', model, '--periods', '4', '--frontier', '5:1:3'],
        /--frontier hi must be above lo/,
      ],
      [
        [
          '--model',
          model,
          '--periods',
          '4',
          '--bounds',
          rulesFile('unknown.json', { channels: { radio: { max: 1 } } }),
        ],
        /--bounds .*unknown\.json: channels\.radio: the model has no paid channel 'radio'/,
      ],
      [
        ['--model', model, '--periods', '4', '--bounds', rulesFile('typo.json', { channel: {} })],
        /unknown key 'channel'/,
      ],
      [
        [
          '--model',
          model,
          '--periods',
          '4',
          '--budget',
          '100',
          '--bounds',
          rulesFile('floor.json', { channels: { tv: { min: 1000 } } }),
        ],
        /rules conflict \(channels\.tv\.min, budget\): the total spend: at least 1,000 per period is needed but the budget is 25 per period/,
      ],
      [
        ['--model', model, '--periods', '4', '--objective', 'target-roas', '--target', '500'],
        /no spend meets the ROAS target 500/,
      ],
      [
        ['--model', rulesFile('not-a-model.json', { schemaVersion: 1 }), '--periods', '4'],
        /--model .*: invalid model: schemaVersion: expected 2, 3 or 4, got 1/,
      ],
    ];
    // In process (the same runCli the bin calls), then one case through a real process.
    for (const [args, message] of cases) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(['allocate', ...args], {
        stdout: (t) => out.push(t),
        stderr: (t) => err.push(t),
      });
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(err).toHaveLength(1);
      expect(err[0]).not.toContain('\n');
      expect(err[0]).toMatch(message);
      expect(out).toEqual([]);
    }
    const r = mmm('--model', model, '--periods', '4', '--budget', '-5');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("mmm allocate: --budget must be a finite number >= 0, got '-5'\n");
    expect(r.stdout).toBe('');
  });

  it('runs through the committed bin that npm links as mmm', () => {
    const r = spawnSync(process.execPath, [bin, 'allocate', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: mmm allocate --model model\.json --periods N/);
    const top = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(top.stdout).toContain('usage: mmm allocate');
    expect(top.stdout).toContain('usage: mmm fit');
  });
});
