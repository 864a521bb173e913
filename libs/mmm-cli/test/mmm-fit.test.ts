import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateSyntheticDataset, parseModel, predict } from '@mmm/core';
import { COMMANDS } from '../src/cli';

// The compiled bin, as an analyst runs it (tests run after `tsc --build`).
const bin = path.resolve(__dirname, '../dist/src/main.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-cli-'));

function writeCsv(name: string, header: string[], rows: (string | number)[][]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
  return file;
}

function mmm(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ds = generateSyntheticDataset({ seed: 3, periods: 104, channels: 4 });
const header = ds.columnOrder;
const rows = ds.dates.map((date, t) => [date, ...header.slice(1).map((c) => ds.columns[c][t])]);
const data = writeCsv('weekly.csv', header, rows);
const spend = ds.spendColumns.join(',');
const small = ['--iterations', '200', '--trials', '2', '--seed', '7'];
// The file and its columns, as every fit of this table starts.
const fitArgs = ['fit', '--data', data, '--date', 'date', '--kpi', 'revenue', '--spend', spend];

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('mmm fit', () => {
  it('fits a model, prints a summary and writes a model that predicts', () => {
    const out = path.join(dir, 'model.json');
    const r = mmm(
      ...fitArgs,
      '--controls',
      'promo,price_index',
      '--holdout',
      '8',
      '--out',
      out,
      ...small,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('104 weekly periods (2022-01-03 .. ');
    expect(r.stdout).toContain('NSGA-II 200 x 2 = 400 candidates');
    expect(r.stdout).toMatch(/fit: R2 0\.\d{3}, adjusted R2/);
    expect(r.stdout).toMatch(/holdout \(8 periods\): R2 -?\d/);
    for (const name of ds.spendColumns) expect(r.stdout).toMatch(new RegExp(`^${name} `, 'm'));
    const model = parseModel(fs.readFileSync(out, 'utf8'));
    expect(model.periods).toMatchObject({ count: 104, trainEnd: 96, periodDays: 7 });
    expect(model.channels.map((c) => c.name)).toEqual(ds.spendColumns);
    expect(predict(model)).toHaveLength(104);
  });

  it('prints the summary as JSON, reproducibly for a seed, on any number of workers', () => {
    const args = [...fitArgs, '--json', ...small];
    const a = mmm(...args, '--workers', '0');
    const b = mmm(...args, '--workers', '2');
    expect(a.code).toBe(0);
    const sa = JSON.parse(a.stdout);
    const sb = JSON.parse(b.stdout);
    expect(sa.channels).toHaveLength(4);
    expect(sa.metrics.nrmse).toBeGreaterThan(0);
    expect(sa.channels[0].roas).toBeGreaterThanOrEqual(0);
    expect(sb.channels).toEqual(sa.channels);
    expect(sb.metrics).toEqual(sa.metrics);
    expect(sa.search).toMatchObject({
      iterations: 200,
      trials: 2,
      seed: 7,
      candidates: 400,
      workers: 0,
    });
    expect(sb.search.workers).toBe(2);
    // The search's objectives printed are the chosen model's own: its training NRMSE.
    expect(sa.search.selection).toBe('posterior');
    expect(sa.search.objectives.nrmse).toBeCloseTo(sa.metrics.nrmse, 9);
  });

  it('reports CPA for a conversions KPI with intervals over the model draws by default', () => {
    const r = mmm(
      ...fitArgs,
      '--kpi-type',
      'conversions',
      '--bootstrap',
      '20',
      '--adstock',
      'weibull_cdf',
      '--json',
      ...small,
    );
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.kpiType).toBe('conversions');
    const withEffect = s.channels.find((c: { contribution: number }) => c.contribution > 0);
    expect(withEffect.cpa).toBeCloseTo(withEffect.spend / withEffect.contribution, 6);
    // Only the efficiency measure of the KPI type is in the summary.
    expect(withEffect).not.toHaveProperty('roas');
    expect(withEffect).not.toHaveProperty('roasInterval');
    // By default the intervals come from the model's draws, at 90%.
    expect(s.intervals).toEqual({ method: 'posterior-bootstrap', draws: 200, level: 0.9 });
    const { lower: low, upper: high, level } = withEffect.cpaInterval;
    expect(level).toBe(0.9);
    expect(low).toBeLessThanOrEqual(high);
    const { lower: cLow, upper: cHigh } = withEffect.contributionInterval;
    expect(cLow).toBeLessThanOrEqual(cHigh);
    expect(cLow).toBeGreaterThanOrEqual(0);
    // CPA bounds are spend over the contribution's bounds, in reverse.
    expect(high).toBeGreaterThanOrEqual(withEffect.spend / cHigh);
    for (const key of ['marginalRoasInterval', 'effectShareInterval']) {
      expect(withEffect[key].lower).toBeLessThanOrEqual(withEffect[key].upper);
    }
    expect(withEffect.effectShareInterval.upper).toBeLessThanOrEqual(1);
  });

  it('prints the contribution and ROAS intervals and keeps cpa out for revenue', () => {
    const args = ['fit', '--data', data, '--date', 'date', '--kpi', 'revenue', '--spend', spend];
    const text = mmm(...args, '--bootstrap', '20', ...small);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/ contribution +ROAS /);
    const name = ds.spendColumns[0];
    expect(text.stdout).toMatch(
      new RegExp(
        `^${name} .* [\\d,]+ \\[[\\d,]+, [\\d,]+\\] +\\d+\\.\\d{3} \\[\\d+\\.\\d{2}, \\d+\\.\\d{2}\\]`,
        'm',
      ),
    );
    const json = JSON.parse(mmm(...args, '--json', ...small).stdout);
    expect(json.channels[0]).not.toHaveProperty('cpa');
    const roas = json.channels[0].roasInterval;
    expect(roas.level).toBe(0.9);
    expect(roas.lower).toBeLessThanOrEqual(roas.upper);
    // Without draws or --bootstrap there is no interval.
    const none = JSON.parse(mmm(...args, '--json', '--draws', '0', ...small).stdout);
    expect(none.intervals).toBeNull();
    expect(none.channels[0].contributionInterval).toBeNull();
    expect(none.channels[0].roasInterval).toBeNull();
    expect(none.channels[0].marginalRoasInterval).toBeNull();
  });
});

describe('mmm fit --select', () => {
  const args = ['fit', '--data', data, '--date', 'date', '--kpi', 'revenue', '--spend', spend];

  it("defaults to the library's choice, the posterior mean, and takes best-fit and knee", () => {
    const chosen = (...extra: string[]) => {
      const r = mmm(...args, '--json', ...small, ...extra);
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout).search.selection as string;
    };
    expect(chosen()).toBe('posterior');
    expect(chosen('--select', 'posterior')).toBe('posterior');
    expect(chosen('--select', 'best-fit')).toBe('best-fit');
    expect(chosen('--select', 'knee')).toBe('knee');
    expect(mmm(...args, ...small).stdout).toMatch(/chosen by posterior$/m);
  });
});

describe('mmm fit --lift', () => {
  const channel = ds.truth.channels[0];
  const lift = channel.contribution.slice(10, 18).reduce((a, b) => a + b, 0);
  const liftFile = writeCsv(
    'lift.csv',
    ['channel', 'start', 'end', 'lift'],
    [[channel.spendColumn, ds.dates[10], ds.dates[17], lift]],
  );

  it('calibrates on lift tests and reports MAPE.LIFT', () => {
    const args = ['fit', '--data', data, '--date', 'date', '--kpi', 'revenue', '--spend', spend];
    const text = mmm(...args, '--lift', liftFile, ...small);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/calibration: MAPE\.LIFT \d+\.\d% over the lift tests/);
    const json = JSON.parse(mmm(...args, '--lift', liftFile, '--json', ...small).stdout);
    expect(Object.keys(json.search.objectives)).toEqual(['nrmse', 'decompRssd', 'mapeLift']);
    expect(json.search.objectives.mapeLift).toBeLessThan(0.5);
    // The library's default with lift tests: the best fit on NRMSE and MAPE.LIFT.
    expect(json.search.selection).toBe('best-fit');
  });

  it('rejects a lift test on a column that is not a channel', () => {
    const file = writeCsv(
      'lift-bad.csv',
      ['channel', 'start', 'end', 'lift'],
      [['promo', ds.dates[1], ds.dates[3], 5]],
    );
    const r = mmm(...fitArgs, '--lift', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `mmm fit: ${file}: line 2: channel 'promo' is not a --spend or --organic column\n`,
    );
  });
});

describe('mmm fit baseline and export flags', () => {
  const args = ['fit', '--data', data, '--date', 'date', '--kpi', 'revenue', '--spend', spend];

  it('writes every candidate to --candidates, with the Pareto front flagged', () => {
    const file = path.join(dir, 'candidates.csv');
    const r = mmm(...args, '--candidates', file, '--json', ...small);
    expect(r.stderr).toBe('');
    const summary = JSON.parse(r.stdout);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const names = ds.spendColumns.flatMap((c) => [`${c}_thetas`, `${c}_alphas`, `${c}_gammas`]);
    expect(header).toEqual([
      'trial',
      'iteration',
      'index',
      ...names,
      'lambda',
      'nrmse',
      'decompRssd',
      'front',
    ]);
    const rows = lines.slice(1).map((l) => l.split(','));
    // 200 iterations x 2 trials.
    expect(rows).toHaveLength(400);
    expect(rows.filter((r) => r[0] === '2')).toHaveLength(200);
    expect(rows[399].slice(0, 3)).toEqual(['2', '200', '399']);
    const front = rows.filter((r) => r[r.length - 1] === '1');
    expect(front).toHaveLength(summary.search.paretoFront);
    // No front member is dominated on (nrmse, decompRssd) by any candidate.
    const nrmse = header.indexOf('nrmse');
    const rssd = header.indexOf('decompRssd');
    for (const f of front) {
      const dominated = rows.some(
        (r) =>
          Number(r[nrmse]) <= Number(f[nrmse]) &&
          Number(r[rssd]) <= Number(f[rssd]) &&
          (Number(r[nrmse]) < Number(f[nrmse]) || Number(r[rssd]) < Number(f[rssd])),
      );
      expect(dominated).toBe(false);
    }
  });

  it('bounds a control coefficient by its --control-signs sign', () => {
    const coefficient = (...extra: string[]) => {
      const out = path.join(dir, `signs-${extra.length}.json`);
      const r = mmm(...args, '--controls', 'promo,price_index', '--out', out, ...small, ...extra);
      expect(r.stderr).toBe('');
      const model = parseModel(fs.readFileSync(out, 'utf8'));
      return (name: string) => model.baseline.find((b) => b.name === name)?.coefficient;
    };
    // Promotions lift revenue: unbounded, promo's coefficient is positive.
    expect(coefficient()('promo')).toBeGreaterThan(0);
    const signed = coefficient('--control-signs', 'promo:negative,price_index:default');
    expect(signed('promo')).toBeLessThanOrEqual(0);
  });

  it('adds --events as holiday columns and sets the Fourier order with --fourier-order', () => {
    const events = writeCsv(
      'events.csv',
      ['date', 'event'],
      [
        ['2022-12-25', 'christmas'],
        ['2023-12-25', 'christmas'],
        ['2022-11-25', 'black_friday'],
        ['2031-11-28', 'black_friday'],
      ],
    );
    const out = path.join(dir, 'events.json');
    const r = mmm(...args, '--events', events, '--fourier-order', '3', '--out', out, ...small);
    expect(r.stderr).toBe('');
    const model = parseModel(fs.readFileSync(out, 'utf8'));
    const christmas = model.baseline.find((b) => b.name === 'christmas');
    expect(christmas?.group).toBe('holiday');
    // 1 in the week that contains each date (2022-12-19 and 2023-12-25 start those weeks).
    expect(christmas?.values.filter((v) => v === 1)).toHaveLength(2);
    expect(christmas?.values[ds.dates.indexOf('2022-12-19')]).toBe(1);
    expect(model.baseline.find((b) => b.name === 'black_friday')?.group).toBe('holiday');
    const season = model.baseline.filter((b) => b.group === 'seasonality').map((b) => b.name);
    expect(season).toEqual([1, 2, 3].flatMap((k) => [`season_sin${k}`, `season_cos${k}`]));

    const none = path.join(dir, 'no-season.json');
    expect(mmm(...args, '--fourier-order', '0', '--out', none, ...small).code).toBe(0);
    const flat = parseModel(fs.readFileSync(none, 'utf8'));
    expect(flat.baseline.filter((b) => b.group === 'seasonality')).toHaveLength(0);
  });

  it('sets the day-of-week order of daily data with --weekly-order', () => {
    const daily = generateSyntheticDataset({
      seed: 5,
      periods: 120,
      channels: 2,
      frequency: 'daily',
    });
    const file = writeCsv(
      'daily.csv',
      daily.columnOrder,
      daily.dates.map((d, t) => [d, ...daily.columnOrder.slice(1).map((c) => daily.columns[c][t])]),
    );
    const out = path.join(dir, 'daily.json');
    const r = mmm(
      'fit',
      '--data',
      file,
      '--date',
      'date',
      '--kpi',
      'revenue',
      '--spend',
      daily.spendColumns.join(','),
      '--weekly-order',
      '1',
      '--out',
      out,
      ...small,
    );
    expect(r.stderr).toBe('');
    const model = parseModel(fs.readFileSync(out, 'utf8'));
    const weekday = model.baseline.filter((b) => b.name.startsWith('weekday_')).map((b) => b.name);
    expect(weekday).toEqual(['weekday_sin1', 'weekday_cos1']);
  });

  it('rejects a channel that is zero in every training row, naming it', () => {
    const zeroed = ds.spendColumns[3];
    const at = header.indexOf(zeroed);
    const file = writeCsv(
      'zero-train.csv',
      header,
      rows.map((row, t) => row.map((v, j) => (j === at && t < 96 ? 0 : v))),
    );
    const r = mmm(
      'fit',
      '--data',
      file,
      '--date',
      'date',
      '--kpi',
      'revenue',
      '--spend',
      spend,
      '--holdout',
      '8',
      ...small,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `mmm fit: ${file}: --spend column '${zeroed}' is zero in every training row (the first 96; only the --holdout 8 has activity)\n`,
    );
  });
});

describe('mmm fit errors', () => {
  const base = ['fit', '--date', 'date', '--kpi', 'revenue', '--spend', 'a,b'];
  const bad = (name: string, lines: string[]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    return file;
  };
  const good = ['date,revenue,a,b', '2024-01-01,10,1,2', '2024-01-08,11,1,3', '2024-01-15,12,2,2'];

  it.each([
    [['fit', '--date', 'date'], '--data is required'],
    [
      [...base, '--data', '/nonexistent/x.csv'],
      'cannot read --data /nonexistent/x.csv: no such file',
    ],
    [[...base, '--data', 'f.csv', '--colour', 'red'], 'unknown flag --colour'],
    [
      [...base, '--data', 'f.csv', '--iterations', 'many'],
      "--iterations must be an integer, got 'many'",
    ],
    [
      [...base, '--data', 'f.csv', '--select', 'median'],
      "--select must be posterior, best-fit or knee, got 'median'",
    ],
    [
      [...base, '--data', 'f.csv', '--select', 'posterior', '--lift', 'lift.csv'],
      '--select posterior does not take --lift; use best-fit or knee',
    ],
    [
      [...base, '--data', 'f.csv', '--adstock', 'linear'],
      "--adstock must be geometric, weibull_cdf or weibull_pdf, got 'linear'",
    ],
    [
      [...base, '--data', 'f.csv', '--controls', 'a'],
      "column 'a' is given to both --spend and --controls",
    ],
    [
      [...base, '--data', 'f.csv', '--fourier-order', '2.5'],
      "--fourier-order must be an integer, got '2.5'",
    ],
    [
      [...base, '--data', 'f.csv', '--fourier-order', '21'],
      '--fourier-order must be between 0 and 20, got 21',
    ],
    [
      [...base, '--data', 'f.csv', '--weekly-order', '4'],
      '--weekly-order must be between 0 and 3, got 4',
    ],
    [
      [...base, '--data', 'f.csv', '--controls', 'p', '--control-signs', 'p'],
      "--control-signs expects name:sign items, got 'p'",
    ],
    [
      [...base, '--data', 'f.csv', '--controls', 'p', '--control-signs', 'p:up'],
      "--control-signs: sign of 'p' must be positive, negative or default, got 'up'",
    ],
    [
      [...base, '--data', 'f.csv', '--controls', 'p', '--control-signs', 'a:negative'],
      "--control-signs: 'a' is not a --controls column",
    ],
    [
      [...base, '--data', 'f.csv', '--controls', 'p', '--control-signs', 'p:negative,p:default'],
      "--control-signs: 'p' given twice",
    ],
    [[...base, '--data', 'f.csv', '--candidates'], '--candidates needs a value'],
    [
      [...base, '--data', 'f.csv', '--candidates', 'f.csv'],
      '--data and --candidates name the same file f.csv',
    ],
    [
      [
        'fit',
        '--date',
        'date',
        '--kpi',
        'revenue',
        '--spend',
        spend,
        '--data',
        data,
        '--weekly-order',
        '2',
      ],
      '--weekly-order applies to daily data only; the data is weekly',
    ],
    [
      [
        'fit',
        '--date',
        'date',
        '--kpi',
        'revenue',
        '--spend',
        spend,
        '--data',
        data,
        '--events',
        '/nonexistent/e.csv',
      ],
      'cannot read --events /nonexistent/e.csv: no such file',
    ],
  ])('rejects bad flags with one line and exit code 2 (%#)', (args, message) => {
    const r = mmm(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mmm fit: ${message}\n`);
    expect(r.stdout).toBe('');
  });

  it.each([
    [
      'missing-column.csv',
      ['date,revenue,a', '2024-01-01,10,1'],
      "--spend column 'b' not found (columns: date, revenue, a)",
    ],
    [
      'not-number.csv',
      [...good.slice(0, 2), '2024-01-08,11,x,3'],
      "line 3, column 'a': 'x' is not a number",
    ],
    [
      'negative.csv',
      [...good.slice(0, 2), '2024-01-08,11,-1,3'],
      "line 3, column 'a': spend -1 is negative",
    ],
    [
      'empty-cell.csv',
      [...good.slice(0, 2), '2024-01-08,,1,3'],
      "line 3, column 'revenue': is empty",
    ],
    [
      'bad-date.csv',
      [good[0], '2024-13-01,10,1,2'],
      "line 2, column 'date': '2024-13-01' is not a date (YYYY-MM-DD)",
    ],
    [
      'gap.csv',
      [...good, '2024-02-05,11,1,3'],
      "line 5, column 'date': gap of 21 days after 2024-01-15, expected 7 (periods must be equally spaced)",
    ],
    [
      'unsorted.csv',
      [good[0], good[2], good[1]],
      "line 3, column 'date': 2024-01-01 is not after 2024-01-08 (rows must be sorted, without duplicates)",
    ],
    ['ragged.csv', [...good.slice(0, 2), '2024-01-08,11,1'], 'line 3: 3 fields, the header has 4'],
    ['header-only.csv', [good[0]], 'no data rows after the header'],
  ])('rejects a bad file %s with one line naming the place', (name, lines, message) => {
    const file = bad(name, lines);
    const r = mmm(...base, '--data', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mmm fit: ${file}: ${message}\n`);
  });

  it.each([
    ['events-no-name.csv', ['date,event', '2022-12-25,'], 'line 2: the event name is empty'],
    [
      'events-bad-date.csv',
      ['date,event', '2022-02-30,x'],
      "line 2: '2022-02-30' is not a date (YYYY-MM-DD)",
    ],
    [
      'events-clash.csv',
      ['date,event', '2022-12-25,trend'],
      "line 2: event 'trend' clashes with a column name",
    ],
    [
      'events-outside.csv',
      ['date,event', '2030-12-25,christmas'],
      "event 'christmas' has no date in the training periods (2022-01-03 .. 2023-12-25)",
    ],
    [
      'events-columns.csv',
      ['day,event', '2022-12-25,christmas'],
      "--events column 'date' not found (columns: day, event)",
    ],
  ])('rejects a bad --events file %s with one line', (name, lines, message) => {
    const file = bad(name, lines);
    const r = mmm(...fitArgs, '--events', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mmm fit: ${file}: ${message}\n`);
  });

  it('rejects a holdout that leaves too few training periods', () => {
    const r = mmm(...fitArgs, '--holdout', '100', ...small);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('holdout of 100 periods leaves 4 training periods');
  });

  it('names an unknown command', () => {
    const r = mmm('predict');
    expect(r.code).toBe(2);
    const commands = Object.keys(COMMANDS).join(', ');
    expect(r.stderr).toBe(`mmm: unknown command 'predict' (commands: ${commands})\n`);
  });
});
