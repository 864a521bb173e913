import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  STREAMS,
  connectNats,
  consumeJobs,
  createLogger,
  handleSignals,
  onShutdown,
  provisionJetStream,
  publishJob,
  resetShutdownForTests,
  shutdown,
  startSubgraph,
  type Provisioned,
  type SubgraphContext,
} from '../src';
import * as testkit from '../src/testkit';
import { NODE_PATH, compileSrc } from './compiled-src';

jest.setTimeout(30_000);

let server: testkit.NatsServer;

beforeAll(async () => {
  server = await testkit.startNatsServer({ jetstream: true });
});
afterAll(async () => {
  await server?.stop();
});
afterEach(() => resetShutdownForTests());

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('shutdown', () => {
  it('stops taking requests, lets in-flight work finish and be acked, then drains NATS', async () => {
    const order: string[] = [];
    const nc: NatsConnection = await connectNats({ NATS_URL: server.url });
    const provisioned: Provisioned = await provisionJetStream(nc);
    let releaseRequest!: () => void;
    const requestGate = new Promise<void>((r) => (releaseRequest = r));
    const subgraph = await startSubgraph<SubgraphContext>({
      name: 'shutdown-test',
      port: 0,
      host: '127.0.0.1',
      nats: nc,
      logger: createLogger('shutdown-test', { level: 'silent' }),
      signingSecret: testkit.TEST_SIGNING_SECRET,
      typeDefs: 'type Query { slow: String }',
      resolvers: {
        Query: {
          slow: async () => {
            await requestGate;
            return 'finished';
          },
        },
      },
    });

    let jobStarted!: () => void;
    const jobRunning = new Promise<void>((r) => (jobStarted = r));
    const worker = await consumeJobs(
      provisioned.js,
      'training',
      async (delivery) => {
        jobStarted();
        await sleep(300);
        delivery.working();
        order.push(`job ${delivery.message.jobId} done`);
      },
      { durable: 'shutdown_worker' },
    );
    onShutdown('worker', async () => {
      await worker.stop();
      order.push('worker stopped');
    });
    onShutdown(
      'nats',
      async () => {
        await nc.drain();
        order.push('nats drained');
      },
      'nats',
    );
    onShutdown('telemetry', () => void order.push('telemetry flushed'), 'telemetry');

    await publishJob(provisioned.js, 'training', { workspaceId: 'w', jobId: 'j1' });
    await jobRunning;
    const inFlight = fetch(subgraph.url, {
      method: 'POST',
      // keep-alive, as the gateway's connections are
      headers: { 'content-type': 'application/json', ...testkit.gatewayHeaders() },
      body: JSON.stringify({ query: '{ slow }' }),
    });
    await sleep(50);

    const done = shutdown();
    await sleep(50);
    // No new connections once shutdown has begun.
    await expect(fetch(`http://127.0.0.1:${subgraph.port}/healthz`)).rejects.toThrow();
    releaseRequest();
    const released = Date.now();
    const response = await inFlight;
    expect(await response.json()).toEqual({ data: { slow: 'finished' } });
    await done;
    // Not held up by the idle keep-alive socket (Node would wait 5 s for it).
    expect(Date.now() - released).toBeLessThan(2000);

    expect(order).toEqual(['job j1 done', 'worker stopped', 'nats drained', 'telemetry flushed']);
    expect(nc.isClosed()).toBe(true);
    // The job was acked before the drain, so the work queue is empty.
    const check = await connectNats({ NATS_URL: server.url });
    const jsm = (await provisionJetStream(check)).jsm;
    expect((await jsm.streams.info(STREAMS.jobs)).state.messages).toBe(0);
    await check.close();
  });

  it('runs the hooks once however often it is asked', async () => {
    let runs = 0;
    onShutdown('count', () => void runs++);
    await Promise.all([shutdown(), shutdown()]);
    await shutdown();
    expect(runs).toBe(1);
  });

  it('exits 0 after the hooks on SIGTERM, and 1 when a hook outlives the timeout', async () => {
    const exits: number[] = [];
    onShutdown('quick', () => sleep(10));
    handleSignals({ exit: (code) => exits.push(code), timeoutMs: 1000 });
    process.emit('SIGTERM');
    await sleep(100);
    expect(exits).toEqual([0]);

    resetShutdownForTests();
    onShutdown('stuck', () => new Promise<void>(() => undefined));
    handleSignals({ exit: (code) => exits.push(code), timeoutMs: 100 });
    process.emit('SIGINT');
    await sleep(300);
    expect(exits).toEqual([0, 1]);
  });
});

describe('a service process on SIGTERM', () => {
  const compiled = compileSrc();
  afterAll(() => compiled.remove());

  it('finishes its work, drains NATS and exits 0', async () => {
    const main = path.join(compiled.dir, 'service-main.js');
    fs.writeFileSync(
      main,
      `
      const p = require('./index.js');
      (async () => {
        const logger = p.createLogger('sigterm-test');
        const nc = await p.connectNats({ NATS_URL: process.argv[2], logger });
        await p.startSubgraph({ name: 'sigterm-test', port: 0, host: '127.0.0.1', nats: nc, logger, signingSecret: 'x'.repeat(32),
          typeDefs: 'type Query { ok: Boolean }', resolvers: { Query: { ok: () => true } } });
        p.onShutdown('work', async () => { await new Promise((r) => setTimeout(r, 200)); logger.info('work handed back'); });
        p.onShutdown('nats', async () => { await nc.drain(); logger.info('nats drained'); }, 'nats');
        p.handleSignals({ logger, timeoutMs: 5000 });
        logger.info('ready');
      })();
      `,
    );
    const child = spawn(process.execPath, [main, server.url], {
      env: { PATH: process.env.PATH, NODE_PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 15_000;
    while (!stdout.includes('"msg":"ready"') && Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`child exited early: ${stderr}`);
      await sleep(50);
    }
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    // A second signal during shutdown (Ctrl-C plus a supervisor) changes nothing.
    await sleep(20);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const messages = stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages.slice(messages.indexOf('ready'))).toEqual([
      'ready',
      'shutting down',
      'work handed back',
      'nats drained',
      'shut down',
    ]);
  });
});
