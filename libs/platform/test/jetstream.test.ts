import { jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import {
  DatasetIngestedSchema,
  EVENTS,
  Frequency,
  HEADERS,
  PermanentFailure,
  KV_BUCKETS,
  OBJECT_STORE,
  STREAMS,
  connectNats,
  consumeJobs,
  create,
  decodeDeadLetter,
  decodeEvent,
  isNatsConnected,
  messagingRegistry,
  provisionJetStream,
  publishEvent,
  publishJob,
  scopedFiles,
  scopedKv,
  subscribeEvents,
  toBinary,
  type EventMessage,
  type Provisioned,
  RevisionConflictError,
  watchKvIndex,
} from '../src';
import * as testkit from '../src/testkit';

jest.setTimeout(30_000);

let server: testkit.NatsServer;
let nc: NatsConnection;
let provisioned: Provisioned;

beforeAll(async () => {
  server = await testkit.startNatsServer({ jetstream: true });
  nc = await connectNats({ NATS_URL: server.url, SERVICE_NAME: 'platform-test' });
  provisioned = await provisionJetStream(nc);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

function waitFor<T>(predicate: () => T | undefined, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const value = predicate();
      if (value !== undefined) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error('timed out waiting'));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('the test harness', () => {
  it('starts a nats-server on a free port with JetStream and reports it connected', async () => {
    expect(server.port).not.toBe(4222);
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(isNatsConnected(nc)).toBe(true);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.getAccountInfo();
    expect(info.streams).toBeGreaterThanOrEqual(3);
  });
});

describe('provisionJetStream', () => {
  it('creates the events, jobs and dead-letter streams with deduplication windows', async () => {
    const jsm = provisioned.jsm;
    const events = await jsm.streams.info(STREAMS.events);
    expect(events.config.subjects).toEqual(
      expect.arrayContaining(['mmm.v1.dataset.>', 'mmm.v1.training.>', 'mmm.v1.report.>']),
    );
    expect(events.config.subjects).not.toContain('mmm.v1.jobs.>');
    expect(events.config.duplicate_window).toBe(10 * 60 * 1e9);
    const jobs = await jsm.streams.info(STREAMS.jobs);
    expect(jobs.config.retention).toBe(RetentionPolicy.Workqueue);
    expect(jobs.config.subjects).toEqual(['mmm.v1.jobs.>']);
    const dlq = await jsm.streams.info(STREAMS.dlq);
    expect(dlq.config.subjects).toEqual(['mmm.v1.dlq.>']);
  });

  it('creates every KV bucket and the object store', async () => {
    for (const bucket of Object.values(KV_BUCKETS)) {
      const info = await provisioned.jsm.streams.info(`KV_${bucket}`);
      expect(info.config.num_replicas).toBe(1);
    }
    const status = await provisioned.files.status();
    expect(status.bucket).toBe(OBJECT_STORE);
  });

  it('is idempotent: running it again keeps streams, data and settings', async () => {
    const before = await provisioned.jsm.streams.info(STREAMS.events);
    await provisioned.kv.datasets.put('idem.dataset.x', 'kept');
    const again = await provisionJetStream(nc);
    const after = await again.jsm.streams.info(STREAMS.events);
    expect(after.created).toEqual(before.created);
    expect(after.config.subjects).toEqual(before.config.subjects);
    expect((await again.kv.datasets.get('idem.dataset.x'))?.string()).toBe('kept');
    // and a changed setting is applied to the existing stream
    await provisionJetStream(nc, { duplicateWindowMs: 60_000 });
    expect((await provisioned.jsm.streams.info(STREAMS.jobs)).config.duplicate_window).toBe(60e9);
    await provisionJetStream(nc);
  });
});

function ingested(id: string, workspaceId = 'ws1') {
  return {
    workspaceId,
    datasetId: id,
    name: `sales ${id}`,
    frequency: Frequency.WEEKLY,
    mediaChannels: ['tv', 'search'],
    periodCount: 104,
  };
}

describe('publishEvent and subscribeEvents', () => {
  it('round-trips a typed protobuf event on its subject and acks it', async () => {
    const received: Array<EventMessage<'dataset.ingested'>> = [];
    const subjects: string[] = [];
    const sub = await subscribeEvents(provisioned.js, 'dataset.ingested', async (delivery) => {
      received.push(delivery.message);
      subjects.push(delivery.subject);
    });
    const ack = await publishEvent(provisioned.js, 'dataset.ingested', ingested('rt-1'), {
      msgId: 'dataset.ingested:rt-1',
      requestId: 'req-1',
    });
    expect(ack.stream).toBe(STREAMS.events);
    expect(ack.duplicate).toBe(false);
    const message = await waitFor(() => received[0]);
    expect(subjects[0]).toBe('mmm.v1.dataset.ingested');
    expect(message.datasetId).toBe('rt-1');
    expect(message.workspaceId).toBe('ws1');
    expect(message.frequency).toBe(Frequency.WEEKLY);
    expect(message.mediaChannels).toEqual(['tv', 'search']);
    expect(message.requestId).toBe('req-1');
    expect(message.occurredAt?.seconds).toBeGreaterThan(0n);
    await sub.stop();
    const info = await provisioned.jsm.consumers.info(STREAMS.events, sub.consumers[0]);
    expect(info.num_ack_pending).toBe(0);
  });

  it('drops a second message with the same Nats-Msg-Id', async () => {
    const first = await publishEvent(provisioned.js, 'dataset.ingested', ingested('dup'), {
      msgId: 'dataset.ingested:dup',
    });
    const second = await publishEvent(provisioned.js, 'dataset.ingested', ingested('dup'), {
      msgId: 'dataset.ingested:dup',
    });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
  });

  it('puts the body, Nats-Msg-Id and workspace in a message any NATS client can read', async () => {
    const sub = nc.subscribe(EVENTS['dataset.deleted'].subject, { max: 1 });
    await publishEvent(
      provisioned.js,
      'dataset.deleted',
      { workspaceId: 'ws9', datasetId: 'gone' },
      { msgId: 'dataset.deleted:gone' },
    );
    for await (const m of sub) {
      expect(m.headers?.get('Nats-Msg-Id')).toBe('dataset.deleted:gone');
      expect(m.headers?.get('x-workspace-id')).toBe('ws9');
      expect(m.headers?.get('mmm-event')).toBe('dataset.deleted');
      expect(decodeEvent('dataset.deleted', m.data).datasetId).toBe('gone');
    }
  });

  it('keeps a durable consumer position, so a restarted subscriber gets only new events', async () => {
    const seen: string[] = [];
    const handler = async (d: { message: { datasetId: string } }) => {
      seen.push(d.message.datasetId);
    };
    const first = await subscribeEvents(provisioned.js, 'dataset.deleted', handler, {
      durable: 'durable_test',
      deliver: 'new',
    });
    await publishEvent(provisioned.js, 'dataset.deleted', { workspaceId: 'w', datasetId: 'd1' });
    await waitFor(() => (seen.includes('d1') ? true : undefined));
    await first.stop();
    await publishEvent(provisioned.js, 'dataset.deleted', { workspaceId: 'w', datasetId: 'd2' });
    const second = await subscribeEvents(provisioned.js, 'dataset.deleted', handler, {
      durable: 'durable_test',
    });
    await waitFor(() => (seen.includes('d2') ? true : undefined));
    await second.stop();
    expect(seen).toEqual(['d1', 'd2']);
  });

  it('retries a failing handler and parks the message on the dead-letter subject with its reason', async () => {
    let attempts = 0;
    const sub = await subscribeEvents(
      provisioned.js,
      'report.generated',
      async () => {
        attempts++;
        throw new Error('renderer crashed');
      },
      { maxDeliver: 3, retryDelayMs: () => 50 },
    );
    const dlq = nc.subscribe('mmm.v1.dlq.report.generated', { max: 1 });
    await publishEvent(
      provisioned.js,
      'report.generated',
      { workspaceId: 'ws1', reportId: 'r1' },
      { msgId: 'report:r1' },
    );
    for await (const m of dlq) {
      const letter = decodeDeadLetter(m.data);
      expect(letter.reason).toBe('renderer crashed');
      expect(letter.code).toBe('HANDLER_FAILED');
      expect(letter.attempts).toBe(3);
      expect(letter.subject).toBe('mmm.v1.report.generated');
      expect(letter.workspaceId).toBe('ws1');
      expect(letter.messageId).toBe('report:r1');
      expect(decodeEvent('report.generated', letter.payload).reportId).toBe('r1');
    }
    expect(attempts).toBe(3);
    await sub.stop();
    const counted = await messagingRegistry.getSingleMetricAsString(
      'nats_messages_processed_total',
    );
    expect(counted).toContain('subject="mmm.v1.report.generated",outcome="retry"} 2');
    expect(counted).toContain('subject="mmm.v1.report.generated",outcome="dead_letter"} 1');
    const stored = await provisioned.jsm.streams.info(STREAMS.dlq);
    expect(stored.state.messages).toBeGreaterThanOrEqual(1);
  });

  it('keeps messages delivered ahead alive while a slow handler works, so none comes twice', async () => {
    const handled: Array<{ id: string; delivery: number }> = [];
    const sub = await subscribeEvents(
      provisioned.js,
      'training.completed',
      async (d) => {
        handled.push({ id: d.message.jobId, delivery: d.deliveryCount });
        // Longer than the ack wait: the three behind it wait past theirs.
        if (d.message.jobId === 'a0') await new Promise((r) => setTimeout(r, 2500));
      },
      // The handler's own message is kept alive as jobs are; the test is about the others.
      { ackWaitMs: 1000, maxInFlight: 4, keepAliveMs: 300 },
    );
    for (let i = 0; i < 4; i++) {
      await publishEvent(provisioned.js, 'training.completed', {
        workspaceId: 'ws-slow',
        jobId: `a${i}`,
      });
    }
    await waitFor(() => (handled.length >= 4 ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    await sub.stop();
    expect(handled).toEqual(['a0', 'a1', 'a2', 'a3'].map((id) => ({ id, delivery: 1 })));
  });

  it('parks a permanent failure at once with its code in the dead letter and its header', async () => {
    let attempts = 0;
    const parked: string[] = [];
    const sub = await subscribeEvents(
      provisioned.js,
      'optimization.completed',
      async () => {
        attempts++;
        throw new PermanentFailure('DATASET_NOT_FOUND', 'dataset ds_x is gone');
      },
      { maxDeliver: 5, onDeadLetter: (info) => void parked.push(info.code) },
    );
    const dlq = nc.subscribe('mmm.v1.dlq.optimization.completed', { max: 1 });
    await publishEvent(provisioned.js, 'optimization.completed', {
      workspaceId: 'ws1',
      scenarioId: 's1',
    });
    for await (const m of dlq) {
      expect(m.headers?.get(HEADERS.errorCode)).toBe('DATASET_NOT_FOUND');
      const letter = decodeDeadLetter(m.data);
      expect(letter.code).toBe('DATASET_NOT_FOUND');
      expect(letter.reason).toBe('dataset ds_x is gone');
      expect(letter.attempts).toBe(1);
    }
    await sub.stop();
    expect(attempts).toBe(1);
    expect(parked).toEqual(['DATASET_NOT_FOUND']);
  });

  it('parks a message whose body cannot be decoded without calling the handler', async () => {
    const calls: unknown[] = [];
    const sub = await subscribeEvents(provisioned.js, 'model.trained', async (d) => {
      calls.push(d);
    });
    const dlq = nc.subscribe('mmm.v1.dlq.model.trained', { max: 1 });
    const h = natsHeaders();
    await provisioned.js.publish('mmm.v1.model.trained', new Uint8Array([0xff, 0xff, 0xff]), {
      headers: h,
    });
    for await (const m of dlq) {
      expect(decodeDeadLetter(m.data).reason).toMatch(/^undecodable body/);
      expect(decodeDeadLetter(m.data).code).toBe('UNDECODABLE');
    }
    expect(calls).toHaveLength(0);
    await sub.stop();
  });
});

describe('jobs on the work queue', () => {
  it('gives each job to one of the workers sharing a durable consumer, and removes it once acked', async () => {
    const takenBy: string[] = [];
    const worker = (label: string) =>
      consumeJobs(
        provisioned.js,
        'training',
        async (d) => {
          d.working();
          takenBy.push(`${label}:${d.message.jobId}`);
        },
        { durable: 'modeling_test' },
      );
    const a = await worker('a');
    const b = await worker('b');
    for (let i = 0; i < 6; i++) {
      await publishJob(
        provisioned.js,
        'training',
        { workspaceId: 'ws1', jobId: `job-${i}`, datasetId: 'd' },
        { msgId: `job-${i}` },
      );
    }
    await waitFor(() => (takenBy.length >= 6 ? true : undefined));
    await new Promise((r) => setTimeout(r, 200));
    expect(takenBy.map((t) => t.split(':')[1]).sort()).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `job-${i}`),
    );
    await a.stop();
    await b.stop();
    // A work queue allows one consumer per subject; free it for the next test.
    await provisioned.jsm.consumers.delete(STREAMS.jobs, 'modeling_test');
    const jobs = await provisioned.jsm.streams.info(STREAMS.jobs);
    expect(jobs.state.messages).toBe(0);
  });
});

describe('long jobs and shutdown', () => {
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  it('keeps a job that outlives the ack wait from going to another worker while its worker lives', async () => {
    const deliveries: string[] = [];
    const worker = (label: string) =>
      consumeJobs(
        provisioned.js,
        'training',
        async (d) => {
          deliveries.push(`${label}:${d.deliveryCount}`);
          await sleep(2500);
        },
        { durable: 'long_worker', ackWaitMs: 1000 },
      );
    const busy = await worker('busy');
    await publishJob(provisioned.js, 'training', { workspaceId: 'w', jobId: 'long' });
    await waitFor(() => (deliveries.length ? true : undefined));
    // A second worker joins only once the first one holds the job.
    const idle = await worker('idle');
    await sleep(2800);
    await Promise.all([busy.stop(), idle.stop()]);
    await provisioned.jsm.consumers.delete(STREAMS.jobs, 'long_worker');
    expect(deliveries).toEqual(['busy:1']);
    expect((await provisioned.jsm.streams.info(STREAMS.jobs)).state.messages).toBe(0);
  });

  it('takes a job only when free: a busy worker leaves the next job to an idle one', async () => {
    const taken: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const busy = await consumeJobs(
      provisioned.js,
      'training',
      async (d) => {
        taken.push(`busy:${d.message.jobId}`);
        await held;
      },
      { durable: 'free_slot_worker' },
    );
    await publishJob(provisioned.js, 'training', { workspaceId: 'w', jobId: 'first' });
    await waitFor(() => (taken.length ? true : undefined));
    await publishJob(provisioned.js, 'training', { workspaceId: 'w', jobId: 'second' });
    await sleep(300);
    const idle = await consumeJobs(
      provisioned.js,
      'training',
      async (d) => {
        taken.push(`idle:${d.message.jobId}`);
      },
      { durable: 'free_slot_worker' },
    );
    await waitFor(() => (taken.length === 2 ? true : undefined));
    expect(taken).toEqual(['busy:first', 'idle:second']);
    release();
    await Promise.all([busy.stop(), idle.stop()]);
    await provisioned.jsm.consumers.delete(STREAMS.jobs, 'free_slot_worker');
  });

  it('tells the worker when a job is parked, with the decoded job and the reason', async () => {
    const parked: Array<{ jobId: string; reason: string; attempts: number }> = [];
    const worker = await consumeJobs(
      provisioned.js,
      'training',
      async () => {
        throw new Error('design matrix is singular');
      },
      {
        durable: 'failing_worker',
        maxDeliver: 2,
        retryDelayMs: () => 20,
        onDeadLetter: (info) => {
          parked.push({ jobId: info.message.jobId, reason: info.reason, attempts: info.attempts });
          expect(info.code).toBe('HANDLER_FAILED');
        },
      },
    );
    await publishJob(provisioned.js, 'training', { workspaceId: 'w', jobId: 'doomed' });
    await waitFor(() => (parked.length ? true : undefined));
    await worker.stop();
    await provisioned.jsm.consumers.delete(STREAMS.jobs, 'failing_worker');
    expect(parked).toEqual([{ jobId: 'doomed', reason: 'design matrix is singular', attempts: 2 }]);
    expect((await provisioned.jsm.streams.info(STREAMS.jobs)).state.messages).toBe(0);
  });

  it('hands a job back at once when its worker stops, and another worker takes it', async () => {
    const seen: string[] = [];
    const first = await consumeJobs(
      provisioned.js,
      'training',
      (d) =>
        new Promise<void>((_, reject) => {
          seen.push(`first:${d.deliveryCount}`);
          d.signal.addEventListener('abort', () => reject(new Error('stopping')));
        }),
      { durable: 'handback_worker', maxDeliver: 1 },
    );
    const dlqBefore = (await provisioned.jsm.streams.info(STREAMS.dlq)).state.messages;
    await publishJob(provisioned.js, 'training', { workspaceId: 'w', jobId: 'handback' });
    await waitFor(() => (seen.length ? true : undefined));
    await first.stop();
    const second = await consumeJobs(
      provisioned.js,
      'training',
      async (d) => {
        seen.push(`second:${d.message.jobId}`);
      },
      { durable: 'handback_worker', maxDeliver: 1 },
    );
    await waitFor(() => (seen.length === 2 ? true : undefined));
    await second.stop();
    await provisioned.jsm.consumers.delete(STREAMS.jobs, 'handback_worker');
    // maxDeliver 1 would have parked it, had the abort counted as a failure.
    expect(seen).toEqual(['first:1', 'second:handback']);
    expect((await provisioned.jsm.streams.info(STREAMS.dlq)).state.messages).toBe(dlqBefore);
  });
});

describe('a NATS restart', () => {
  it('is ridden out: the connection comes back and a durable consumer receives new events', async () => {
    const seen: string[] = [];
    const sub = await subscribeEvents(
      provisioned.js,
      'attribution.completed',
      async (d) => {
        seen.push(d.message.attributionId);
      },
      { durable: 'restart_test' },
    );
    await publishEvent(provisioned.js, 'attribution.completed', {
      workspaceId: 'w',
      attributionId: 'a1',
    });
    await waitFor(() => (seen.includes('a1') ? true : undefined));

    await server.restart();
    await waitFor(() => (isNatsConnected(nc) ? true : undefined), 10_000);
    await publishEvent(provisioned.js, 'attribution.completed', {
      workspaceId: 'w',
      attributionId: 'a2',
    });
    await waitFor(() => (seen.includes('a2') ? true : undefined), 20_000);
    await sub.stop();
    expect(seen).toEqual(['a1', 'a2']);
  });
});

describe('a KV index', () => {
  it('lists a workspace from memory: documents written before it started and since, by anyone', async () => {
    const acme = scopedKv(provisioned.kv.scenarios, 'acme');
    await acme.put('scenario', 's1', { n: 1 });
    const changes: string[] = [];
    const index = await watchKvIndex<{ n: number }>(provisioned.kv.scenarios, 'scenario', {
      onChange: (d) => changes.push(`${d.workspaceId}/${d.id}`),
    });
    try {
      await waitFor(() => index.isReady() || undefined);
      expect(index.peek('acme')).toEqual([{ id: 's1', value: { n: 1 } }]);
      await acme.put('scenario', 's2', { n: 2 });
      await scopedKv(provisioned.kv.scenarios, 'globex').put('scenario', 's9', { n: 9 });
      await acme.put('other', 'x', { n: 0 });
      await waitFor(() => index.peek('acme')?.length === 2 || undefined);
      expect(await index.list('acme')).toEqual([
        { id: 's1', value: { n: 1 } },
        { id: 's2', value: { n: 2 } },
      ]);
      expect(index.peek('globex')).toEqual([{ id: 's9', value: { n: 9 } }]);
      await acme.delete('scenario', 's1');
      await waitFor(() => index.peek('acme')?.length === 1 || undefined);
      expect(
        index
          .documents()
          ?.map((d) => `${d.workspaceId}/${d.id}`)
          .sort(),
      ).toEqual(['acme/s2', 'globex/s9']);
      expect(changes).toContain('globex/s9');
      // A write this process notes is listed at once, and the watch's echo does not undo it.
      index.note('acme', 's3', { n: 3 }, 1_000_000);
      expect(index.peek('acme')?.map((d) => d.id)).toEqual(['s2', 's3']);
    } finally {
      await index.stop();
    }
    // Stopped: not ready, and list reads KV instead.
    expect(index.peek('acme')).toBeNull();
    expect((await index.list('acme')).map((d) => d.id)).toEqual(['s2']);
  });
});

describe('workspace-scoped storage', () => {
  it('keeps KV documents of one workspace invisible to another', async () => {
    const acme = scopedKv(provisioned.kv.models, 'acme');
    const globex = scopedKv(provisioned.kv.models, 'globex');
    await acme.put('model', 'm1', { name: 'first', roas: 2.5 });
    await acme.put('model', 'm2', { name: 'second' });
    await globex.put('model', 'm9', { name: 'other' });
    expect(await acme.get('model', 'm1')).toEqual({ name: 'first', roas: 2.5 });
    expect(await globex.get('model', 'm1')).toBeNull();
    expect(await acme.ids('model')).toEqual(['m1', 'm2']);
    expect((await globex.list('model')).map((e) => e.id)).toEqual(['m9']);
    const raw = await provisioned.kv.models.get('acme.model.m1');
    expect(raw?.json()).toEqual({ name: 'first', roas: 2.5 });
    await acme.delete('model', 'm2');
    expect(await acme.get('model', 'm2')).toBeNull();
    expect(await acme.ids('model')).toEqual(['m1']);
  });

  it('supports compare-and-set writes', async () => {
    const store = scopedKv(provisioned.kv.jobs, 'acme');
    const rev = await store.put('job', 'j1', { state: 'queued' }, { expectRevision: 0 });
    await expect(
      store.put('job', 'j1', { state: 'again' }, { expectRevision: 0 }),
    ).rejects.toBeInstanceOf(RevisionConflictError);
    await store.put('job', 'j1', { state: 'running' }, { expectRevision: rev });
    await expect(
      store.put('job', 'j1', { state: 'stale' }, { expectRevision: rev }),
    ).rejects.toMatchObject({ name: 'RevisionConflictError', expectedRevision: rev });
    expect(await store.getEntry('job', 'j1')).toMatchObject({ value: { state: 'running' } });
  });

  it('rejects key parts outside the KV alphabet or containing dots', async () => {
    const store = scopedKv(provisioned.kv.datasets, 'acme');
    await expect(store.put('dataset', 'a.b', {})).rejects.toThrow(/may only contain/);
    await expect(store.put('dataset', 'a b', {})).rejects.toThrow(/may only contain/);
    expect(() => scopedKv(provisioned.kv.datasets, 'ac.me')).toThrow(/workspace/);
  });

  it('stores and reads back bytes in the object store under the workspace', async () => {
    const acme = scopedFiles(provisioned.files, 'acme');
    const globex = scopedFiles(provisioned.files, 'globex');
    const body = toBinary(DatasetIngestedSchema, create(DatasetIngestedSchema, ingested('file')));
    const big = new Uint8Array(300_000).map((_, i) => i % 251);
    const stored = await acme.put('raw', 'd1', body);
    await acme.put('table', 'd1', big);
    expect(stored.name).toBe('acme.raw.d1');
    expect(await acme.get('raw', 'd1')).toEqual(body);
    expect(Buffer.from((await acme.get('table', 'd1'))!).equals(Buffer.from(big))).toBe(true);
    expect(await globex.get('raw', 'd1')).toBeNull();
    expect(await acme.delete('raw', 'd1')).toBe(true);
    expect(await acme.get('raw', 'd1')).toBeNull();
    expect(await acme.delete('raw', 'd1')).toBe(false);
  });
});
