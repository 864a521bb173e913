import { randomUUID } from 'node:crypto';
import { generateSyntheticDataset, type SyntheticOptions } from '@mmm/core';
import {
  connectNats,
  createLogger,
  DATASET_KINDS,
  openStorage,
  startService,
  subscribeEvents,
  workspaceStorage,
  type DatasetDescriptor,
  type EventMessage,
  type EventName,
  type NatsConnection,
  type RunningService,
  type StoredTable,
  type Subscription,
} from '@mmm/platform';
import {
  gatewayHeaders,
  startNatsServer,
  TEST_SIGNING_SECRET,
  type GraphQLReply,
  type NatsServer,
} from '@mmm/platform/testkit';
import { modelingApi, modelingWorker, parseModelingConfig } from '../src';

/** A dataset as ingestion stores it, written through the platform's dataset contract. */
export interface StoredDataset {
  descriptor: DatasetDescriptor;
  table: StoredTable;
}

/**
 * The contract's record and table for a synthetic dataset (or its first `periods` weeks): the
 * modeling service reads them as it would read ingestion's, without ingestion's code.
 */
export function syntheticDataset(
  options: SyntheticOptions = {},
  periods?: number,
  workspaceId = 'default',
): StoredDataset {
  const data = generateSyntheticDataset({ seed: 7, periods: 60, channels: 3, ...options });
  const n = periods ?? data.dates.length;
  const id = `ds_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const table: StoredTable = {
    schemaVersion: 1,
    datasetId: id,
    frequency: 'WEEKLY',
    dates: data.dates.slice(0, n),
    columns: [
      {
        name: data.kpiColumn,
        role: 'KPI',
        channel: null,
        values: data.columns[data.kpiColumn].slice(0, n),
      },
      ...data.spendColumns.map((name) => ({
        name,
        role: 'PAID_SPEND' as const,
        channel: name,
        values: data.columns[name].slice(0, n),
      })),
      ...data.controlColumns.map((name) => ({
        name,
        role: 'CONTROL' as const,
        channel: null,
        values: data.columns[name].slice(0, n),
      })),
    ],
  };
  const descriptor: DatasetDescriptor = {
    schemaVersion: 1,
    id,
    workspaceId,
    name: 'synthetic',
    status: 'ACTIVE',
    kpiType: 'REVENUE',
    kpiColumn: data.kpiColumn,
    frequency: 'WEEKLY',
    channels: data.spendColumns.map((name) => ({ name, spendColumn: name, exposureColumn: null })),
    organic: [],
    controls: data.controlColumns,
    periodCount: n,
    startDate: table.dates[0],
    endDate: table.dates[n - 1],
    contentSha256: id.padEnd(64, '0'),
    tableFile: `${id}-t`,
  };
  return { descriptor, table };
}

export interface ReceivedEvent<N extends EventName = EventName> {
  name: N;
  message: EventMessage<N>;
  msgId: string | undefined;
}

export interface ModelingRig {
  nats: NatsServer;
  api: RunningService;
  workers: RunningService[];
  nc: NatsConnection;
  events: ReceivedEvent[];
  workspace(): string;
  store(dataset: StoredDataset, workspaceId: string): Promise<void>;
  gql(
    query: string,
    variables?: Record<string, unknown>,
    workspace?: string,
  ): Promise<GraphQLReply>;
  startWorker(env?: Record<string, string>): Promise<RunningService>;
  stop(): Promise<void>;
}

const WORKER_ENV = {
  MODELING_ROLE: 'worker',
  TRAINING_THREADS: '1',
  TRAINING_POLL_MS: '50',
  TRAINING_PART_CANDIDATES: '0',
};

/** A real nats-server, the modeling API and one training worker in this process. */
export async function startModelingRig(
  workerEnv: Record<string, string> = {},
): Promise<ModelingRig> {
  const nats = await startNatsServer();
  const config = (env: Record<string, string>) =>
    parseModelingConfig({
      NATS_URL: nats.url,
      SHUTDOWN_READY_GRACE_MS: '0',
      GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
      ...env,
    });
  const logger = (name: string) => createLogger(name, { level: 'silent' });
  const api = await startService(modelingApi, {
    config: config({}),
    port: 0,
    host: '127.0.0.1',
    logger: logger('modeling'),
  });
  const workers: RunningService[] = [];
  const startWorker = async (env: Record<string, string> = {}) => {
    const worker = await startService(modelingWorker, {
      config: config({ ...WORKER_ENV, ...workerEnv, ...env }),
      port: 0,
      host: '127.0.0.1',
      logger: logger('modeling-worker'),
    });
    workers.push(worker);
    return worker;
  };
  await startWorker();
  const nc = await connectNats({ NATS_URL: nats.url, name: 'test-listener' });
  const storage = await openStorage(nc);
  const events: ReceivedEvent[] = [];
  const subscription: Subscription = await subscribeEvents(
    storage.js,
    [
      'training.progress',
      'training.completed',
      'training.failed',
      'model.trained',
      'model.promoted',
    ],
    async (d) => {
      events.push({ name: d.name, message: d.message, msgId: d.msgId } as ReceivedEvent);
    },
    { deliver: 'all' },
  );
  return {
    nats,
    api,
    workers,
    nc,
    events,
    workspace: () => `ws-${randomUUID().slice(0, 8)}`,
    async store(dataset, workspaceId) {
      const scoped = workspaceStorage(storage, workspaceId);
      const descriptor = { ...dataset.descriptor, workspaceId };
      await scoped.files.put(
        DATASET_KINDS.table,
        descriptor.tableFile,
        new TextEncoder().encode(JSON.stringify(dataset.table)),
      );
      await scoped.kv.datasets.put(DATASET_KINDS.dataset, descriptor.id, descriptor);
    },
    async gql(query, variables = {}, workspace) {
      const res = await fetch(api.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...gatewayHeaders({ workspace }),
        },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GraphQLReply;
    },
    startWorker,
    async stop() {
      await subscription.stop();
      await nc.close();
      for (const w of workers) await w.stop();
      await api.stop();
      await nats.stop();
    },
  };
}
