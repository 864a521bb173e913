import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Counter,
  createMetricsRegistry,
  NatsUnreachableError,
  loadSchema,
  parseConfig,
  startService,
} from '../src';
import { freePort, startNatsServer } from '../src/testkit';
import { NODE_PATH, compileSrc } from './compiled-src';

jest.setTimeout(30_000);

const typeDefs = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Query { ping: String }
`;

describe('startService', () => {
  it('names NATS_URL and its value when NATS cannot be reached', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const started = startService(
      {
        name: 'probe',
        defaultPort: 0,
        typeDefs,
        resolvers: { Query: { ping: () => 'pong' } },
        events: { consumes: [], publishes: [] },
        onStart: () => ({ context: (base) => base }),
      },
      { config: parseConfig({ NATS_URL: url }), port: 0, host: '127.0.0.1' },
    );
    await expect(started).rejects.toBeInstanceOf(NatsUnreachableError);
    await expect(started).rejects.toThrow(`cannot reach NATS at NATS_URL=${url} (`);
  });
});

describe('a worker (a service without a schema)', () => {
  it('serves health, readiness and its own metrics, and no GraphQL', async () => {
    const nats = await startNatsServer();
    const registry = createMetricsRegistry('probe-worker');
    new Counter({ name: 'probe_work_total', help: 'work done', registers: [registry] }).inc(3);
    const service = await startService(
      {
        name: 'probe-worker',
        defaultPort: 0,
        events: { consumes: [], publishes: [] },
        onStart: () => ({ context: (base) => base, registry }),
      },
      { config: parseConfig({ NATS_URL: nats.url }), port: 0, host: '127.0.0.1' },
    );
    try {
      expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${service.url}/graphql`, { method: 'POST' })).status).toBe(404);
      expect(await (await fetch(`${service.url}/metrics`)).text()).toMatch(
        /^probe_work_total(\{[^}]*\})? 3$/m,
      );
    } finally {
      await service.stop();
      await nats.stop();
    }
  });
});

describe('runService in a real process', () => {
  const compiled = compileSrc();
  afterAll(() => compiled.remove());

  it('stops with one line naming NATS_URL when NATS cannot be reached', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    fs.writeFileSync(path.join(compiled.dir, 'schema.graphql'), typeDefs);
    fs.writeFileSync(
      path.join(compiled.dir, 'probe-main.js'),
      `const { startTelemetry } = require('./telemetry.js');
       const telemetry = startTelemetry('probe');
       const { loadConfig } = require('./config.js');
       const { loadSchema, runService } = require('./service.js');
       runService(
         {
           name: 'probe',
           defaultPort: 0,
           typeDefs: loadSchema(__dirname),
           resolvers: { Query: { ping: () => 'pong' } },
           events: { consumes: [], publishes: [] },
           onStart: () => ({ context: (base) => base }),
         },
         { telemetry, config: loadConfig() },
       );`,
    );
    const child = spawnSync(process.execPath, [path.join(compiled.dir, 'probe-main.js')], {
      env: { PATH: process.env.PATH, NODE_PATH, NATS_URL: url, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.status).toBe(1);
    expect(child.stderr).toMatch(
      new RegExp(`^probe failed to start: cannot reach NATS at NATS_URL=${url} \\([^\\n]+\\)\\n$`),
    );
  });
});

describe('loadSchema', () => {
  it('finds schema.graphql beside the module (ts-jest) or in src/ from dist/src (compiled)', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-schema-'));
    try {
      fs.mkdirSync(path.join(root, 'src'));
      fs.mkdirSync(path.join(root, 'dist', 'src'), { recursive: true });
      fs.writeFileSync(path.join(root, 'src', 'schema.graphql'), typeDefs);
      expect(loadSchema(path.join(root, 'src'))).toBe(typeDefs);
      expect(loadSchema(path.join(root, 'dist', 'src'))).toBe(typeDefs);
      expect(() => loadSchema(root)).toThrow('schema.graphql not found');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
