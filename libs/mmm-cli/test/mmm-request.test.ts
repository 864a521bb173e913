import { mkdtempSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { runCli } from '../src/cli';
import { lastDays, newestByName, parseRequestArgs } from '../src/request';

/**
 * A stand-in gateway on loopback that records what it is sent: the command's contract is the
 * GraphQL it sends (the platform's own answers are tested in the services and end-to-end tests).
 */
interface Seen {
  workspace: string | undefined;
  authorization: string | undefined;
  query: string;
  variables: Record<string, unknown>;
}
const seen: Seen[] = [];
let failDataset: string | undefined;
let failModel: string | undefined;
let productionModels = [
  { id: 'm1', datasetId: 'a2' },
  { id: 'm2', datasetId: 'b2' },
];
const datasets = [
  { id: 'a1', name: 'sales', endDate: '2024-06-30', createdAt: '2024-07-01T00:00:00Z' },
  { id: 'a2', name: 'sales', endDate: '2024-07-07', createdAt: '2024-07-08T00:00:00Z' },
  { id: 'b1', name: 'leads', endDate: '2024-07-07', createdAt: '2024-07-08T00:00:00Z' },
  { id: 'b2', name: 'leads', endDate: '2024-07-07', createdAt: '2024-07-09T00:00:00Z' },
];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    const { query, variables } = JSON.parse(body) as Seen;
    seen.push({
      workspace: req.headers['x-workspace-id'] as string | undefined,
      authorization: req.headers.authorization,
      query,
      variables,
    });
    res.setHeader('content-type', 'application/json');
    if (query.includes('datasets')) {
      res.end(JSON.stringify({ data: { datasets } }));
      return;
    }
    if (query.includes('models(stage: PRODUCTION)')) {
      res.end(JSON.stringify({ data: { models: productionModels } }));
      return;
    }
    if (query.includes('optimizeBudget')) {
      const answer =
        variables.modelId === failModel
          ? {
              data: null,
              errors: [
                { message: 'model m9 was not found', extensions: { code: 'BAD_USER_INPUT' } },
              ],
            }
          : {
              data: {
                optimizeBudget: {
                  id: `sc-${String(variables.modelId)}`,
                  status: 'OPTIMAL',
                  method: 'kkt',
                  response: { lift: { estimate: 1234.5678 } },
                },
              },
            };
      res.end(JSON.stringify(answer));
      return;
    }
    if (query.includes('optimizations')) {
      res.end(
        JSON.stringify({
          data: {
            model: { id: variables.id, optimizations: [{ id: 'sc-new' }, { id: 'sc-old' }] },
          },
        }),
      );
      return;
    }
    if (query.includes('pullSource')) {
      const failed = variables.sourceId === 'src-bad';
      res.end(
        JSON.stringify({
          data: {
            pullSource: failed
              ? {
                  ok: false,
                  dataset: null,
                  failure: {
                    failureCode: 'SOURCE_THROTTLED',
                    message: 'Meta is throttling the account',
                  },
                }
              : {
                  ok: true,
                  dataset: {
                    id: `ds-${String(variables.sourceId)}`,
                    periodCount: 30,
                    endDate: '2024-07-07',
                  },
                  failure: null,
                },
          },
        }),
      );
      return;
    }
    if (query.includes('sources {')) {
      res.end(
        JSON.stringify({
          data: {
            sources: [
              { id: 'src-1', name: 'google ads', kind: 'GOOGLE_ADS' },
              { id: 'src-bad', name: 'meta', kind: 'META_ADS' },
            ],
          },
        }),
      );
      return;
    }
    if (query.includes('generateReport')) {
      res.end(
        JSON.stringify({
          data: { generateReport: { id: `rp-${String(variables.modelId)}`, status: 'PENDING' } },
        }),
      );
      return;
    }
    const input = variables.input as { datasetId: string };
    if (input.datasetId === failDataset) {
      res.end(
        JSON.stringify({
          data: null,
          errors: [{ message: 'dataset was not found', extensions: { code: 'BAD_USER_INPUT' } }],
        }),
      );
      return;
    }
    res.end(
      JSON.stringify({
        data: {
          trainModel: {
            id: `job-${input.datasetId}`,
            status: 'QUEUED',
            datasetId: input.datasetId,
          },
        },
      }),
    );
  });
});
let gateway = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gateway = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  env = {};
  seen.length = 0;
  failDataset = undefined;
  failModel = undefined;
  productionModels = [
    { id: 'm1', datasetId: 'a2' },
    { id: 'm2', datasetId: 'b2' },
  ];
});

let env: Record<string, string | undefined> = {};
async function mmm(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env,
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('mmm request training', () => {
  it('is a command of mmm, with its usage in the help', async () => {
    expect((await mmm('help')).stdout).toContain('usage: mmm request training --gateway URL');
  });

  it('sends trainModel for one dataset, in the workspace given, with the settings given', async () => {
    const r = await mmm(
      'request',
      'training',
      '--gateway',
      gateway,
      '--workspace',
      'acme',
      '--dataset',
      'a1',
      '--seed',
      '7',
      '--trials',
      '3',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('training job job-a1 QUEUED on dataset a1');
    expect(seen).toHaveLength(1);
    expect(seen[0].workspace).toBe('acme');
    expect(seen[0].query).toMatch(/trainModel\(input: \$input\)/);
    expect(seen[0].variables).toEqual({ input: { datasetId: 'a1', seed: 7, trials: 3 } });
  });

  it('trains the newest dataset of every name with --all-datasets (the weekly schedule)', async () => {
    const r = await mmm('request', 'training', '--gateway', gateway, '--all-datasets');
    expect(r.code).toBe(0);
    const trained = seen.filter((s) => s.query.includes('trainModel')).map((s) => s.variables);
    expect(trained).toEqual([{ input: { datasetId: 'b2' } }, { input: { datasetId: 'a2' } }]);
    expect(seen[0].workspace).toBeUndefined();
  });

  it('trains the newest dataset of one name, and says so when there is none', async () => {
    expect(
      (await mmm('request', 'training', '--gateway', gateway, '--dataset-name', 'sales')).code,
    ).toBe(0);
    expect(seen.at(-1)?.variables).toEqual({ input: { datasetId: 'a2' } });
    const r = await mmm('request', 'training', '--gateway', gateway, '--dataset-name', 'nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("mmm request: no dataset named 'nope' in the workspace");
  });

  it('goes on after a refused dataset and exits 1, naming it and the error code', async () => {
    failDataset = 'b2';
    const r = await mmm('request', 'training', '--gateway', gateway, '--all-datasets');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('training job job-a2 QUEUED');
    expect(r.stderr).toBe(
      'mmm request: dataset b2 (leads, to 2024-07-07): BAD_USER_INPUT: dataset was not found',
    );
  });

  it('fails with one line when the gateway cannot be reached', async () => {
    const r = await mmm(
      'request',
      'training',
      '--gateway',
      'http://127.0.0.1:1/graphql',
      '--dataset',
      'x',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^mmm request: dataset x: cannot reach the gateway at http:\/\/127\.0\.0\.1:1\/graphql/,
    );
  });

  it.each([
    [['request'], 'say what to request'],
    [['request', 'bogus'], "unknown request 'bogus'"],
    [['request', 'training', '--all-datasets'], '--gateway is required'],
    [
      ['request', 'training', '--gateway', 'modeling:4002', '--all-datasets'],
      '--gateway must be an http(s) URL',
    ],
    [
      ['request', 'training', '--gateway', 'http://g', '--dataset', 'a', '--all-datasets'],
      'exactly one of',
    ],
    [
      ['request', 'training', '--gateway', 'http://g', '--all-datasets', '--trials', '0'],
      '--trials must be an integer',
    ],
    [
      ['request', 'training', '--gateway', 'http://g', '--all-datasets', '--workspace', 'a b'],
      '--workspace must be',
    ],
    [['request', 'training', '--gateway', 'http://g', '--all', 'x'], 'unknown flag --all'],
  ])('refuses %j with exit code 2', async (args, message) => {
    const r = await mmm(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('mmm request optimization (the weekly optimization schedule)', () => {
  it('solves the default plan on every production model, in the workspace', async () => {
    const r = await mmm(
      'request',
      'optimization',
      '--gateway',
      gateway,
      '--workspace',
      'acme',
      '--production',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'scenario sc-m1 OPTIMAL (kkt) on model m1 (production model of dataset a2): lift 1235',
      'scenario sc-m2 OPTIMAL (kkt) on model m2 (production model of dataset b2): lift 1235',
    ]);
    const solved = seen.filter((s) => s.query.includes('optimizeBudget'));
    expect(solved.map((s) => s.workspace)).toEqual(['acme', 'acme']);
    expect(solved[0].variables).toEqual({
      modelId: 'm1',
      scenario: { name: 'scheduled 13-period plan', periods: 13, objective: 'RESPONSE' },
    });
  });

  it('takes one model, a horizon, an objective and a name', async () => {
    const r = await mmm(
      'request',
      'optimization',
      '--gateway',
      gateway,
      '--model',
      'm7',
      '--periods',
      '4',
      '--objective',
      'roi',
      '--name',
      'Q3',
    );
    expect(r.code).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0].variables).toEqual({
      modelId: 'm7',
      scenario: { name: 'Q3', periods: 4, objective: 'ROI' },
    });
  });

  it('says so when there is no production model, and names a refused model with its code', async () => {
    productionModels = [];
    const none = await mmm('request', 'optimization', '--gateway', gateway, '--production');
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('no production models in the workspace: nothing to optimize');
    failModel = 'm9';
    const r = await mmm('request', 'optimization', '--gateway', gateway, '--model', 'm9');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('mmm request: model m9: BAD_USER_INPUT: model m9 was not found');
  });
});

describe('mmm request report', () => {
  it('renders a PDF of every production model, with its newest scenario when asked', async () => {
    const r = await mmm(
      'request',
      'report',
      '--gateway',
      gateway,
      '--production',
      '--with-latest-scenario',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      'report rp-m1 PENDING (PDF) on model m1 (production model of dataset a2) with scenario sc-new',
    );
    const asked = seen.filter((s) => s.query.includes('generateReport')).map((s) => s.variables);
    expect(asked).toEqual([
      { modelId: 'm1', scenarioId: 'sc-new', format: 'PDF' },
      { modelId: 'm2', scenarioId: 'sc-new', format: 'PDF' },
    ]);
  });

  it('renders one model as HTML without a scenario', async () => {
    const r = await mmm(
      'request',
      'report',
      '--gateway',
      gateway,
      '--model',
      'm3',
      '--format',
      'html',
    );
    expect(r.code).toBe(0);
    expect(seen.map((s) => s.variables)).toEqual([{ modelId: 'm3', format: 'HTML' }]);
  });

  it.each([
    [
      ['request', 'report', '--gateway', 'http://g'],
      'give exactly one of --model and --production',
    ],
    [
      ['request', 'report', '--gateway', 'http://g', '--model', 'a', '--production'],
      'give exactly one of --model and --production',
    ],
    [
      ['request', 'report', '--gateway', 'http://g', '--model', 'a', '--format', 'docx'],
      '--format must be one of HTML, PDF',
    ],
    [
      ['request', 'optimization', '--gateway', 'http://g', '--production', '--periods', '0'],
      '--periods must be an integer from 1 to 1000',
    ],
    [
      [
        'request',
        'optimization',
        '--gateway',
        'http://g',
        '--production',
        '--objective',
        'TARGET_ROAS',
      ],
      '--objective must be one of RESPONSE, ROI',
    ],
    [
      ['request', 'optimization', '--gateway', 'http://g', '--production', '--format', 'PDF'],
      'unknown flag --format',
    ],
  ])('refuses %j with exit code 2', async (args, message) => {
    const r = await mmm(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('mmm request pull (the daily pull schedule)', () => {
  it('pulls every source of the workspace and fails the run when one pull failed', async () => {
    const r = await mmm(
      'request',
      'pull',
      '--gateway',
      gateway,
      '--workspace',
      'acme',
      '--all-sources',
      '--days',
      '30',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      'pulled source src-1 (google ads, GOOGLE_ADS): dataset ds-src-1 (30 periods, to 2024-07-07)',
    );
    expect(r.stderr).toBe(
      'mmm request: source src-bad (meta, META_ADS): SOURCE_THROTTLED: Meta is throttling the account',
    );
    const pulls = seen.filter((s) => s.query.includes('pullSource'));
    expect(pulls.map((s) => s.workspace)).toEqual(['acme', 'acme']);
    expect(pulls[0].variables).toEqual({ sourceId: 'src-1', dateRange: lastDays(30, new Date()) });
  });

  it('pulls one source over its own lookback when no --days is given', async () => {
    const r = await mmm('request', 'pull', '--gateway', gateway, '--source', 'src-7');
    expect(r.code).toBe(0);
    expect(seen.map((s) => s.variables)).toEqual([{ sourceId: 'src-7' }]);
  });

  it('waits as long as the gateway lets a pull run (600 s) unless told, other requests 60 s', () => {
    const waits = (...argv: string[]) =>
      parseRequestArgs([...argv, '--gateway', 'http://g']).timeoutMs;
    expect(waits('pull', '--all-sources')).toBe(600_000);
    expect(waits('pull', '--all-sources', '--timeout-seconds', '540')).toBe(540_000);
    expect(waits('training', '--all-datasets')).toBe(60_000);
  });

  it('ends the range yesterday (UTC)', () => {
    expect(lastDays(3, new Date('2024-03-01T05:00:00Z'))).toEqual({
      start: '2024-02-27',
      end: '2024-02-29',
    });
  });

  it.each([
    [
      ['request', 'pull', '--gateway', 'http://g'],
      'give exactly one of --source and --all-sources',
    ],
    [
      ['request', 'pull', '--gateway', 'http://g', '--all-sources', '--days', '0'],
      '--days must be an integer from 1 to 3660',
    ],
  ])('refuses %j with exit code 2', async (args, message) => {
    const r = await mmm(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('mmm request authentication', () => {
  it('sends the bearer token of MMM_TOKEN, or of --token-file, and none without', async () => {
    env = { MMM_TOKEN: 'eyJ.from-env.sig' };
    await mmm('request', 'training', '--gateway', gateway, '--dataset', 'a1');
    expect(seen.at(-1)?.authorization).toBe('Bearer eyJ.from-env.sig');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'mmm-token-')), 'token');
    writeFileSync(file, 'eyJ.from-file.sig\n');
    await mmm('request', 'training', '--gateway', gateway, '--dataset', 'a1', '--token-file', file);
    expect(seen.at(-1)?.authorization).toBe('Bearer eyJ.from-file.sig');
    env = {};
    await mmm('request', 'training', '--gateway', gateway, '--dataset', 'a1');
    expect(seen.at(-1)?.authorization).toBeUndefined();
  });

  it('refuses a token file it cannot read or that holds no token, naming it', async () => {
    const missing = await mmm(
      'request',
      'training',
      '--gateway',
      gateway,
      '--dataset',
      'a1',
      '--token-file',
      '/nope/token',
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read --token-file /nope/token: no such file');
    env = { MMM_TOKEN: 'not a token' };
    const bad = await mmm('request', 'training', '--gateway', gateway, '--dataset', 'a1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('the token in MMM_TOKEN is not a bearer token');
  });
});

describe('newestByName', () => {
  it('keeps the latest end date of each name, then the latest stored', () => {
    expect(newestByName(datasets).map((d) => d.id)).toEqual(['b2', 'a2']);
  });
});
