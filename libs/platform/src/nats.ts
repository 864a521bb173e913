import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import type { Logger } from './logger';

export type { NatsConnection } from '@nats-io/nats-core';
export type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
export type { KV } from '@nats-io/kv';
export type { ObjectStore } from '@nats-io/obj';

/** Every subject of the platform starts with this. */
export const SUBJECT_ROOT = 'mmm.v1';

/** The entities whose events go to the events stream (`mmm.v1.<entity>.<event>`). */
export const EVENT_ENTITIES = [
  'dataset',
  'training',
  'model',
  'optimization',
  'attribution',
  'report',
] as const;

export const STREAMS = {
  /** Domain events, kept for replay (limits retention). */
  events: 'MMM_EVENTS',
  /** Work queue: each job is taken by one worker and removed once acked. */
  jobs: 'MMM_JOBS',
  /** Jobs that failed too often, parked with their reason. */
  dlq: 'MMM_DLQ',
  /** Who did what: one record per mutation, kept AUDIT_RETENTION_DAYS. */
  audit: 'MMM_AUDIT',
} as const;

export const AUDIT_SUBJECT_PREFIX = `${SUBJECT_ROOT}.audit`;

export const JOBS_SUBJECT_PREFIX = `${SUBJECT_ROOT}.jobs`;
export const DLQ_SUBJECT_PREFIX = `${SUBJECT_ROOT}.dlq`;

/** KV buckets (metadata by `<workspace>.<kind>.<id>` keys). */
export const KV_BUCKETS = {
  datasets: 'mmm_datasets',
  models: 'mmm_models',
  jobs: 'mmm_jobs',
  scenarios: 'mmm_scenarios',
  attributions: 'mmm_attributions',
  reports: 'mmm_reports',
} as const;
export type KvBucketName = keyof typeof KV_BUCKETS;

/** The object store for files (raw uploads, normalized tables, model artifacts, reports). */
export const OBJECT_STORE = 'mmm_files';

const SECOND_NS = 1_000_000_000;
const DAY_NS = 86_400 * SECOND_NS;

export interface ConnectOptions {
  NATS_URL: string;
  SERVICE_NAME?: string;
  /** Connection name seen in server monitoring; defaults to SERVICE_NAME. */
  name?: string;
  logger?: Logger;
}

/**
 * Connects with endless reconnects: a service keeps running through a NATS
 * restart and /readyz reports the gap.
 */
export async function connectNats(config: ConnectOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: config.NATS_URL.split(',').map((s) => s.trim()),
    name: config.name ?? config.SERVICE_NAME ?? 'mmm-service',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    waitOnFirstConnect: false,
  });
  connected.set(nc, true);
  const logger = config.logger;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') connected.set(nc, false);
      else if (status.type === 'reconnect') connected.set(nc, true);
      if (!logger) continue;
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        logger.warn(`nats ${status.type}`, { server: status.server });
      } else if (status.type === 'error') {
        logger.error('nats error', { error: String(status.error) });
      }
    }
  })();
  return nc;
}

// Connection state seen through status events (the client has no getter for it).
const connected = new WeakMap<NatsConnection, boolean>();

/** True while the connection is usable (for readiness checks). */
export function isNatsConnected(nc: NatsConnection | undefined): boolean {
  if (!nc || nc.isClosed() || nc.isDraining()) return false;
  return connected.get(nc) ?? true;
}

export interface ProvisionOptions {
  /** 1 locally, 3 in a cluster (NATS_REPLICAS). */
  replicas?: number;
  /** Window in which a repeated Nats-Msg-Id is dropped; default 10 minutes. */
  duplicateWindowMs?: number;
  /** Age after which events leave the events stream; default 30 days. */
  eventsMaxAgeDays?: number;
  /** Age after which audit records leave the audit stream; default 365 days. */
  auditMaxAgeDays?: number;
}

export interface Provisioned {
  js: JetStreamClient;
  jsm: JetStreamManager;
  kv: Record<KvBucketName, KV>;
  files: ObjectStore;
}

export function streamConfigs(
  options: ProvisionOptions = {},
): Array<Partial<StreamConfig> & { name: string; subjects: string[] }> {
  const replicas = options.replicas ?? 1;
  const duplicateWindow = (options.duplicateWindowMs ?? 10 * 60_000) * 1_000_000;
  const storage = StorageType.File;
  return [
    {
      name: STREAMS.events,
      subjects: EVENT_ENTITIES.map((entity) => `${SUBJECT_ROOT}.${entity}.>`),
      retention: RetentionPolicy.Limits,
      max_age: (options.eventsMaxAgeDays ?? 30) * DAY_NS,
      duplicate_window: duplicateWindow,
      num_replicas: replicas,
      storage,
      discard: DiscardPolicy.Old,
    },
    {
      name: STREAMS.jobs,
      subjects: [`${JOBS_SUBJECT_PREFIX}.>`],
      retention: RetentionPolicy.Workqueue,
      duplicate_window: duplicateWindow,
      num_replicas: replicas,
      storage,
      discard: DiscardPolicy.Old,
    },
    {
      name: STREAMS.audit,
      subjects: [`${AUDIT_SUBJECT_PREFIX}.>`],
      retention: RetentionPolicy.Limits,
      max_age: (options.auditMaxAgeDays ?? 365) * DAY_NS,
      duplicate_window: duplicateWindow,
      num_replicas: replicas,
      storage,
      discard: DiscardPolicy.Old,
    },
    {
      name: STREAMS.dlq,
      subjects: [`${DLQ_SUBJECT_PREFIX}.>`],
      retention: RetentionPolicy.Limits,
      max_age: 30 * DAY_NS,
      duplicate_window: duplicateWindow,
      num_replicas: replicas,
      storage,
      discard: DiscardPolicy.Old,
    },
  ];
}

const STREAM_NAME_IN_USE = 10058;

function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

/**
 * Creates, or brings up to date, the streams, KV buckets and object store the
 * platform uses. Safe to run from every service at every start.
 */
export async function provisionJetStream(
  nc: NatsConnection,
  options: ProvisionOptions = {},
): Promise<Provisioned> {
  const jsm = await jetstreamManager(nc);
  for (const config of streamConfigs(options)) {
    try {
      await jsm.streams.info(config.name);
      await jsm.streams.update(config.name, config);
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
      try {
        await jsm.streams.add(config);
      } catch (addError) {
        // Another replica of a service may have created it meanwhile.
        if (!(addError instanceof JetStreamApiError) || addError.code !== STREAM_NAME_IN_USE) {
          throw addError;
        }
      }
    }
  }
  const js = jetstream(nc);
  const kvm = new Kvm(js);
  const replicas = options.replicas ?? 1;
  const storage = StorageType.File;
  const kv = {} as Record<KvBucketName, KV>;
  for (const [key, bucket] of Object.entries(KV_BUCKETS) as Array<[KvBucketName, string]>) {
    kv[key] = await kvm.create(bucket, { replicas, history: 5, storage });
  }
  const files = await new Objm(js).create(OBJECT_STORE, { replicas, storage });
  return { js, jsm, kv, files };
}

/** Opens the buckets and store without creating them (for tools and tests). */
/** A JetStream client on a connection, for a process that only publishes (the gateway). */
export function jetStreamClient(nc: NatsConnection): JetStreamClient {
  return jetstream(nc);
}

export async function openStorage(
  nc: NatsConnection,
): Promise<Omit<Provisioned, 'jsm'> & { jsm: JetStreamManager }> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const kvm = new Kvm(js);
  const kv = {} as Record<KvBucketName, KV>;
  for (const [key, bucket] of Object.entries(KV_BUCKETS) as Array<[KvBucketName, string]>) {
    kv[key] = await kvm.open(bucket);
  }
  const files = await new Objm(js).open(OBJECT_STORE);
  return { js, jsm, kv, files };
}
