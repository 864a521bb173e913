import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../src/cli';

// The compiled bin, as an analyst runs it (tests run after `tsc --build`).
const bin = path.resolve(__dirname, '../dist/src/main.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-attribute-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** In-process run (fast); the bin itself is run where exit codes and streams matter. */
async function mmm(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/*
 * The worked example of the core's rule tests, as a file with rows out of order:
 *   j1: search(Jan 1) email(Jan 2) tv(Jan 3), converted, 90
 *   j2: email(Jan 1) search(Jan 4), converted, 30
 *   j3: tv(Jan 1), converted, 10
 *   j4: search(Jan 1) tv(Jan 2), not converted
 */
const journeys = write(
  'journeys.csv',
  [
    'journey_id,timestamp,channel,converted,conversion_value',
    'j2,2024-01-04T00:00:00Z,search,1,30',
    'j1,2024-01-03T00:00:00Z,tv,1,90',
    'j4,2024-01-01T00:00:00Z,search,0,0',
    'j1,2024-01-01T00:00:00Z,search,1,90',
    'j3,2024-01-01T00:00:00Z,tv,1,10',
    'j2,2024-01-01T00:00:00Z,email,1,30',
    'j1,2024-01-02T00:00:00Z,email,1,90',
    'j4,2024-01-02T00:00:00Z,tv,0,0',
  ].join('\n') + '\n',
);

describe('mmm attribute', () => {
  it('is a command of mmm, with its usage in the help', async () => {
    const r = await mmm('help');
    expect(r.stdout).toContain('usage: mmm attribute --journeys file.csv');
    expect((await mmm('attribute', '--help')).stdout).toMatch(/^usage: mmm attribute/);
  });

  it('credits every method per channel in JSON, summing to the observed totals', async () => {
    const out = path.join(dir, 'table.json');
    const r = await mmm('attribute', '--journeys', journeys, '--json', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(s);
    expect(s.journeys).toMatchObject({
      rows: 8,
      journeys: 4,
      touchpoints: 8,
      channels: ['email', 'search', 'tv'],
      conversions: 3,
      value: 130,
      firstTouchpoint: '2024-01-01T00:00:00.000Z',
      lastTouchpoint: '2024-01-04T00:00:00.000Z',
    });
    expect(Object.keys(s.methods)).toEqual([
      'last',
      'first',
      'linear',
      'time_decay',
      'position',
      'markov',
      'shapley',
    ]);
    // last: j1 -> tv, j2 -> search, j3 -> tv.
    expect(s.methods.last.channels).toEqual({
      email: { conversions: 0, value: 0, share: 0 },
      search: { conversions: 1, value: 30, share: 1 / 3 },
      tv: { conversions: 2, value: 100, share: 2 / 3 },
    });
    // linear: email 1/3 + 1/2, search 1/3 + 1/2, tv 1/3 + 1.
    expect(s.methods.linear.channels.tv.conversions).toBeCloseTo(4 / 3, 12);
    expect(s.methods.linear.channels.email.value).toBeCloseTo(45, 10);
    // position: j1 .4/.2/.4, j2 .5/.5, j3 1 -> email .2 + .5, search .4 + .5, tv .4 + 1.
    expect(s.methods.position.channels.search.conversions).toBeCloseTo(0.9, 12);
    for (const [name, method] of Object.entries(s.methods) as [string, { channels: object }][]) {
      const cells = Object.values(method.channels) as { conversions: number; value: number }[];
      const sum = cells.reduce((a, c) => a + c.conversions, 0);
      const value = cells.reduce((a, c) => a + c.value, 0);
      expect([name, sum, value]).toEqual([name, expect.closeTo(3, 10), expect.closeTo(130, 8)]);
    }
    expect(s.methods.markov.markov).toMatchObject({ order: 1, states: 4 });
    expect(s.methods.shapley.shapley).toEqual({
      worth: 'conversion_rate',
      exact: true,
      players: 3,
      samples: null,
      standardErrors: null,
    });
  });

  it('prints a table: a row per channel, a column per method, totals', async () => {
    const r = await mmm('attribute', '--journeys', journeys, '--methods', 'last,first,linear');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^journeys: .*journeys\.csv, 8 rows, 4 journeys, 3 channels, 2024-01-01 \.\. 2024-01-04$/,
    );
    expect(lines).toContain('observed: 3 conversions, value 130.00; 8 touchpoints in the window');
    expect(r.stdout).toMatch(/^channel +last +first +linear$/m);
    expect(r.stdout).toMatch(/^tv +2\.00 \(66\.7%\) +1\.00 \(33\.3%\) +1\.33 \(44\.4%\)$/m);
    expect(r.stdout).toMatch(/^total +3\.00 +3\.00 +3\.00$/m);
    expect(r.stdout).toMatch(/^tv +100\.00 +10\.00 +40\.00$/m);
    expect(r.stdout).toMatch(/^total +130\.00 +130\.00 +130\.00$/m);
  });

  it('takes the window, half-life and other names for the columns', async () => {
    const renamed = write(
      'renamed.json',
      JSON.stringify([
        { user: 'a', at: '2024-03-01T00:00:00Z', src: 'tv', conv: 1, rev: 8 },
        { user: 'a', at: '2024-03-05T00:00:00Z', src: 'search', conv: 1, rev: 8 },
        { user: 'b', at: '2024-03-02T00:00:00Z', src: 'tv', conv: 0, rev: 0 },
      ]),
    );
    const columns = 'journey_id=user,timestamp=at,channel=src,converted=conv,conversion_value=rev';
    const args = ['attribute', '--journeys', renamed, '--columns', columns, '--json'];
    const decay = JSON.parse(
      (await mmm(...args, '--methods', 'time_decay', '--half-life', '4')).stdout,
    );
    // tv is 4 days (one half-life) before search: weights 1/2 and 1 -> tv 1/3, search 2/3.
    expect(decay.methods.time_decay.channels.tv.conversions).toBeCloseTo(1 / 3, 12);
    expect(decay.settings.halfLifeDays).toBe(4);
    const windowed = JSON.parse((await mmm(...args, '--methods', 'first', '--window', '3')).stdout);
    // A 3-day window drops tv (4 days before the last touchpoint): search is first.
    expect(windowed.methods.first.channels.search.conversions).toBe(1);
    expect(windowed.journeys.touchpoints).toBe(2);
  });

  it('says which flag, row or column is wrong: one line on stderr, exit code 2', () => {
    const badTime = write(
      'bad-time.csv',
      'journey_id,timestamp,channel,converted,conversion_value\na,2024-01-01,tv,1,5\na,01/02/2024,tv,1,5\n',
    );
    const noTouch = write(
      'no-touch.csv',
      'journey_id,timestamp,channel,converted,conversion_value\na,2024-01-01,,1,5\nb,2024-01-02,tv,x,5\n',
    );
    const cases: [string[], string][] = [
      [
        ['--journeys', badTime],
        `${badTime}: row 2 (line 3), column 'timestamp': '01/02/2024' is not an ISO 8601 timestamp`,
      ],
      [
        ['--journeys', noTouch],
        `${noTouch}: row 1 (line 2), column 'channel': the channel is empty on a converting journey: a conversion needs a touchpoint (and 1 more issue)`,
      ],
      [
        ['--journeys', journeys, '--window', '30'],
        '--window: 30 days is longer than the data (the touchpoints span 3 days, 2024-01-01T00:00:00.000Z .. 2024-01-04T00:00:00.000Z)',
      ],
      [
        ['--journeys', journeys, '--methods', 'last,data_driven'],
        "--methods: unknown method 'data_driven' (methods: last, first, linear, time_decay, position, markov, shapley)",
      ],
      [
        ['--journeys', path.join(dir, 'missing.csv')],
        `cannot read --journeys ${path.join(dir, 'missing.csv')}: no such file`,
      ],
      [['--methods', 'last'], '--journeys is required'],
      [
        ['--journeys', journeys, '--half-life', '0'],
        "--half-life must be a number of days above 0, got '0'",
      ],
      [
        ['--journeys', journeys, '--position-weights', '0.7,0.5'],
        '--position-weights: firstWeight + lastWeight must be at most 1, got 0.7 + 0.5',
      ],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync(process.execPath, [bin, 'attribute', ...args], { encoding: 'utf8' });
      expect([args, r.status, r.stderr]).toEqual([args, 2, `mmm attribute: ${message}\n`]);
      expect(r.stdout).toBe('');
    }
  });
});
