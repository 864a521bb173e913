import { randomUUID } from 'node:crypto';
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerConfig,
  type JetStreamClient,
  type JsMsg,
  type PubAck,
} from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { AttributionCompletedSchema } from './gen/mmm/v1/attribution_pb';
import { DatasetDeletedSchema, DatasetIngestedSchema } from './gen/mmm/v1/dataset_pb';
import { DeadLetterSchema } from './gen/mmm/v1/jobs_pb';
import { ModelTrainedSchema } from './gen/mmm/v1/model_pb';
import { OptimizationCompletedSchema } from './gen/mmm/v1/optimization_pb';
import { ReportGeneratedSchema } from './gen/mmm/v1/report_pb';
import {
  TrainingCompletedSchema,
  TrainingFailedSchema,
  TrainingProgressSchema,
  TrainingRequestedSchema,
} from './gen/mmm/v1/training_pb';
import type { Logger } from './logger';
import { messagingMetrics } from './metrics';
import { DLQ_SUBJECT_PREFIX, JOBS_SUBJECT_PREFIX, STREAMS, SUBJECT_ROOT } from './nats';

/** Every event of the platform: its subject and its protobuf message. */
export const EVENTS = {
  'dataset.ingested': {
    subject: `${SUBJECT_ROOT}.dataset.ingested`,
    schema: DatasetIngestedSchema,
  },
  'dataset.deleted': { subject: `${SUBJECT_ROOT}.dataset.deleted`, schema: DatasetDeletedSchema },
  'training.requested': {
    subject: `${SUBJECT_ROOT}.training.requested`,
    schema: TrainingRequestedSchema,
  },
  'training.progress': {
    subject: `${SUBJECT_ROOT}.training.progress`,
    schema: TrainingProgressSchema,
  },
  'training.completed': {
    subject: `${SUBJECT_ROOT}.training.completed`,
    schema: TrainingCompletedSchema,
  },
  'training.failed': { subject: `${SUBJECT_ROOT}.training.failed`, schema: TrainingFailedSchema },
  'model.trained': { subject: `${SUBJECT_ROOT}.model.trained`, schema: ModelTrainedSchema },
  'optimization.completed': {
    subject: `${SUBJECT_ROOT}.optimization.completed`,
    schema: OptimizationCompletedSchema,
  },
  'attribution.completed': {
    subject: `${SUBJECT_ROOT}.attribution.completed`,
    schema: AttributionCompletedSchema,
  },
  'report.generated': {
    subject: `${SUBJECT_ROOT}.report.generated`,
    schema: ReportGeneratedSchema,
  },
} as const;

export type EventName = keyof typeof EVENTS;
export type EventSchema<N extends EventName> = (typeof EVENTS)[N]['schema'];
/** The decoded message of an event, e.g. `EventMessage<'dataset.ingested'>`. */
export type EventMessage<N extends EventName> = MessageShape<EventSchema<N>>;
/** What publishEvent accepts: a message or a plain object of its fields. */
export type EventInit<N extends EventName> = MessageInitShape<EventSchema<N>>;

/** Jobs on the work-queue stream: one worker takes each. */
export const JOBS = {
  training: { subject: `${JOBS_SUBJECT_PREFIX}.training`, schema: TrainingRequestedSchema },
} as const;
export type JobName = keyof typeof JOBS;
export type JobMessage<J extends JobName> = MessageShape<(typeof JOBS)[J]['schema']>;
export type JobInit<J extends JobName> = MessageInitShape<(typeof JOBS)[J]['schema']>;

/** Header names the platform sets on every message. */
export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  requestId: 'x-request-id',
  workspaceId: 'x-workspace-id',
  eventType: 'mmm-event',
  /** On dead letters: why the message was parked. */
  error: 'mmm-error',
} as const;

export function eventSubject(name: EventName): string {
  return EVENTS[name].subject;
}

/** The dead-letter subject of a subject: mmm.v1.jobs.training -> mmm.v1.dlq.jobs.training. */
export function deadLetterSubject(subject: string): string {
  const rest = subject.startsWith(SUBJECT_ROOT + '.')
    ? subject.slice(SUBJECT_ROOT.length + 1)
    : subject;
  return `${DLQ_SUBJECT_PREFIX}.${rest}`;
}

export function encodeEvent<N extends EventName>(name: N, message: EventInit<N>): Uint8Array {
  const schema = EVENTS[name].schema as DescMessage;
  return toBinary(schema, create(schema, message as MessageInitShape<DescMessage>));
}

export function decodeEvent<N extends EventName>(name: N, data: Uint8Array): EventMessage<N> {
  return fromBinary(EVENTS[name].schema as DescMessage, data) as EventMessage<N>;
}

export function decodeJob<J extends JobName>(name: J, data: Uint8Array): JobMessage<J> {
  return fromBinary(JOBS[name].schema as DescMessage, data) as JobMessage<J>;
}

const headerSetter: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};
const headerGetter: TextMapGetter<MsgHdrs | undefined> = {
  get: (carrier, key) => carrier?.get(key) || undefined,
  keys: (carrier) => (carrier ? carrier.keys() : []),
};

/** Writes the active trace context (W3C traceparent/tracestate) into NATS headers. */
export function injectTraceContext(h: MsgHdrs, ctx = context.active()): MsgHdrs {
  propagation.inject(ctx, h, headerSetter);
  return h;
}

/** The trace context carried by a message's headers (ROOT when none). */
export function extractTraceContext(h: MsgHdrs | undefined) {
  return propagation.extract(ROOT_CONTEXT, h, headerGetter);
}

export interface PublishOptions {
  /**
   * Nats-Msg-Id: JetStream drops a second message with the same id inside the
   * duplicate window. Pass a deterministic id (e.g. `dataset.ingested:<hash>`);
   * a random one is used otherwise.
   */
  msgId?: string;
  headers?: Record<string, string>;
  requestId?: string;
  /** How long to wait for JetStream's ack. */
  timeoutMs?: number;
}

const tracer = () => trace.getTracer('@mmm/platform');

async function publishBytes(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array,
  kind: string,
  options: PublishOptions,
  workspaceId: string | undefined,
): Promise<PubAck> {
  return tracer().startActiveSpan(
    `publish ${subject}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject },
    },
    async (span) => {
      try {
        const h = natsHeaders();
        for (const [key, value] of Object.entries(options.headers ?? {})) h.set(key, value);
        h.set(HEADERS.eventType, kind);
        if (options.requestId) h.set(HEADERS.requestId, options.requestId);
        if (workspaceId) h.set(HEADERS.workspaceId, workspaceId);
        injectTraceContext(h);
        const msgID = options.msgId ?? randomUUID();
        span.setAttribute('messaging.message.id', msgID);
        const ack = await js.publish(subject, data, {
          msgID,
          headers: h,
          ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
        });
        if (ack.duplicate) span.setAttribute('messaging.nats.duplicate', true);
        messagingMetrics.published.inc({ subject, duplicate: String(ack.duplicate) });
        return ack;
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Fills the envelope (occurred_at, request_id) of an event or job message, encodes it and
 * publishes it on its subject with Nats-Msg-Id and trace context.
 */
function publishMessage(
  js: JetStreamClient,
  schema: DescMessage,
  subject: string,
  label: string,
  message: MessageInitShape<DescMessage>,
  options: PublishOptions,
): Promise<PubAck> {
  const full = create(schema, message) as {
    workspaceId?: string;
    occurredAt?: unknown;
    requestId?: string;
  };
  full.occurredAt ??= timestampNow();
  if (!full.requestId && options.requestId) full.requestId = options.requestId;
  return publishBytes(
    js,
    subject,
    toBinary(schema, full as MessageShape<DescMessage>),
    label,
    { ...options, requestId: options.requestId ?? (full.requestId || undefined) },
    full.workspaceId,
  );
}

/**
 * Publishes a typed event on its subject with Nats-Msg-Id and trace context.
 * Resolves with JetStream's ack (`ack.duplicate` is true when deduplicated).
 */
export async function publishEvent<N extends EventName>(
  js: JetStreamClient,
  name: N,
  message: EventInit<N>,
  options: PublishOptions = {},
): Promise<PubAck> {
  const { schema, subject } = EVENTS[name];
  return publishMessage(
    js,
    schema as DescMessage,
    subject,
    name,
    message as MessageInitShape<DescMessage>,
    options,
  );
}

/** Puts a job on the work-queue stream (MMM_JOBS); one worker will take it. */
export async function publishJob<J extends JobName>(
  js: JetStreamClient,
  name: J,
  message: JobInit<J>,
  options: PublishOptions = {},
): Promise<PubAck> {
  const { schema, subject } = JOBS[name];
  return publishMessage(
    js,
    schema as DescMessage,
    subject,
    `job.${name}`,
    message as MessageInitShape<DescMessage>,
    options,
  );
}

/** A message handed to a handler, already decoded, inside its own span. */
export interface Delivery<T> {
  message: T;
  subject: string;
  msgId: string | undefined;
  requestId: string | undefined;
  headers: MsgHdrs | undefined;
  /** 1 on first delivery. */
  deliveryCount: number;
  streamSequence: number;
  /** Tells JetStream the handler is still at work (resets the ack timer). */
  working(): void;
  /**
   * Aborted when the subscription stops (shutdown). Long work may give up:
   * a handler that throws after the abort hands the message back at once,
   * without counting towards the dead-letter limit.
   */
  signal: AbortSignal;
}

/** What a service learns when one of its messages is parked. */
export interface DeadLetterInfo<T> {
  message: T;
  subject: string;
  msgId: string | undefined;
  requestId: string | undefined;
  reason: string;
  attempts: number;
}

export interface ConsumeOptions<T = unknown> {
  /**
   * Durable consumer name (e.g. 'reporting'); the position survives restarts
   * and replicas share the messages. Without it an ephemeral consumer is used.
   */
  durable?: string;
  /** 'new' (default for ephemeral) or 'all' (default for durable). */
  deliver?: 'new' | 'all';
  /** Deliveries before a message is parked on the dead-letter subject; default 5. */
  maxDeliver?: number;
  /** Time the handler has before JetStream redelivers; default 30 s. */
  ackWaitMs?: number;
  /** Messages fetched ahead; default 16 (1 for long jobs). */
  maxInFlight?: number;
  /** Delay before a failed message is redelivered; default 1 s times the delivery count. */
  retryDelayMs?: (deliveryCount: number) => number;
  /**
   * Calls `working()` this often while a handler runs, so long work keeps its
   * message; a crashed process stops doing so and the message is redelivered.
   * Off for events; a third of ackWaitMs for jobs.
   */
  keepAliveMs?: number;
  /**
   * Called after a message is parked for good (e.g. to mark a job failed and
   * publish training.failed). Errors here are logged, never retried.
   */
  onDeadLetter?: (info: DeadLetterInfo<T>) => Promise<void> | void;
  logger?: Logger;
}

export interface Subscription {
  /** Consumer names created, one per event. */
  readonly consumers: string[];
  /** Stops fetching, lets the handler in progress finish (it will be acked or nak'ed). */
  stop(): Promise<void>;
  /** Resolves when the loops have ended. */
  readonly closed: Promise<void>;
}

const SECOND_NS = 1_000_000_000;

async function ensureConsumer(
  js: JetStreamClient,
  stream: string,
  config: Partial<ConsumerConfig>,
): Promise<string> {
  const jsm = await js.jetstreamManager();
  if (config.durable_name) {
    try {
      await jsm.consumers.info(stream, config.durable_name);
      // These cannot change on an existing consumer; the rest can.
      const updatable: Partial<ConsumerConfig> = { ...config };
      delete updatable.durable_name;
      delete updatable.deliver_policy;
      delete updatable.ack_policy;
      delete updatable.filter_subject;
      await jsm.consumers.update(stream, config.durable_name, updatable);
      return config.durable_name;
    } catch (error) {
      if (
        !(error instanceof JetStreamApiError) ||
        error.code !== JetStreamApiCodes.ConsumerNotFound
      ) {
        throw error;
      }
    }
  }
  const info = await jsm.consumers.add(stream, config);
  return info.name;
}

type Decode<T> = (data: Uint8Array) => T;

interface Stopping {
  stopped: boolean;
  abort: AbortController;
}

function newStopping(): Stopping {
  return { stopped: false, abort: new AbortController() };
}

async function runConsumer<T>(
  js: JetStreamClient,
  stream: string,
  consumerName: string,
  decode: Decode<T>,
  handler: (delivery: Delivery<T>) => Promise<void>,
  options: ConsumeOptions<T>,
  stopping: Stopping,
): Promise<{ stop: () => Promise<void>; closed: Promise<void> }> {
  const consumer = await js.consumers.get(stream, consumerName);
  const messages = await consumer.consume({ max_messages: options.maxInFlight ?? 16 });
  const maxDeliver = options.maxDeliver ?? 5;
  const retryDelay = options.retryDelayMs ?? ((n: number) => Math.min(30_000, 1000 * n));
  const logger = options.logger;

  const handle = async (m: JsMsg) => {
    const parent = extractTraceContext(m.headers);
    await tracer().startActiveSpan(
      `process ${m.subject}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.destination.name': m.subject,
          'messaging.consumer.group.name': consumerName,
        },
      },
      parent,
      async (span) => {
        const msgId = m.headers?.get(HEADERS.msgId) || undefined;
        let decoded: T;
        try {
          decoded = decode(m.data);
        } catch (error) {
          // A body that cannot be decoded will never be: park it at once.
          await park(js, m, `undecodable body: ${(error as Error).message}`, logger);
          messagingMetrics.processed.inc({ subject: m.subject, outcome: 'dead_letter' });
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'undecodable' });
          span.end();
          return;
        }
        const keepAlive = options.keepAliveMs
          ? setInterval(() => m.working(), options.keepAliveMs)
          : undefined;
        const endTimer = messagingMetrics.duration.startTimer({ subject: m.subject });
        const outcome = (value: string) =>
          messagingMetrics.processed.inc({ subject: m.subject, outcome: value });
        let failure: unknown;
        let handled = false;
        try {
          await handler({
            message: decoded,
            subject: m.subject,
            msgId,
            requestId: m.headers?.get(HEADERS.requestId) || undefined,
            headers: m.headers,
            deliveryCount: m.info.deliveryCount,
            streamSequence: m.info.streamSequence,
            working: () => m.working(),
            signal: stopping.abort.signal,
          });
          handled = true;
        } catch (error) {
          failure = error;
        }
        try {
          if (handled) {
            // Wait for the server to confirm, so "handled" means "will not come back".
            try {
              await m.ackAck();
              outcome('ok');
            } catch (error) {
              // The work is done; JetStream may deliver it again (handlers are idempotent).
              logger?.warn('ack not confirmed, the message may come again', {
                subject: m.subject,
                error: String(error),
              });
              outcome('ack_unconfirmed');
            }
            return;
          }
          const error = failure;
          span.recordException(error instanceof Error ? error : new Error(String(error)));
          span.setStatus({ code: SpanStatusCode.ERROR });
          const count = m.info.deliveryCount;
          const reason = error instanceof Error ? error.message : String(error);
          if (stopping.abort.signal.aborted) {
            logger?.info('handed back at shutdown', { subject: m.subject, delivery: count });
            m.nak();
            outcome('handed_back');
          } else if (count >= maxDeliver) {
            if (await park(js, m, reason, logger)) {
              outcome('dead_letter');
              try {
                await options.onDeadLetter?.({
                  message: decoded,
                  subject: m.subject,
                  msgId,
                  requestId: m.headers?.get(HEADERS.requestId) || undefined,
                  reason,
                  attempts: count,
                });
              } catch (hookError) {
                logger?.error('onDeadLetter failed', { error: String(hookError) });
              }
            }
          } else {
            logger?.warn('handler failed, will retry', {
              subject: m.subject,
              delivery: count,
              error: reason,
            });
            m.nak(retryDelay(count));
            outcome('retry');
          }
        } finally {
          if (keepAlive) clearInterval(keepAlive);
          endTimer();
          span.end();
        }
      },
    );
  };

  const closed = (async () => {
    for await (const m of messages) {
      try {
        if (stopping.stopped) {
          // Hand it back at once so another replica can take it.
          m.nak();
          continue;
        }
        await handle(m);
      } catch (error) {
        // e.g. the connection closed under a nak; JetStream redelivers after ack_wait.
        logger?.error('message handling failed', { subject: m.subject, error: String(error) });
      }
    }
  })().catch((error: unknown) => {
    logger?.error('consumer stopped on error', { consumer: consumerName, error: String(error) });
  });
  return {
    stop: async () => {
      stopping.stopped = true;
      stopping.abort.abort();
      messages.stop();
      await closed;
    },
    closed,
  };
}

/** Parks a message on the dead-letter stream with its reason, then acks it. */
async function park(
  js: JetStreamClient,
  m: JsMsg,
  reason: string,
  logger?: Logger,
): Promise<boolean> {
  const h = natsHeaders();
  h.set(HEADERS.error, reason.slice(0, 500));
  injectTraceContext(h);
  const workspaceId = m.headers?.get(HEADERS.workspaceId) ?? '';
  const msgId = m.headers?.get(HEADERS.msgId) ?? '';
  const body = toBinary(
    DeadLetterSchema,
    create(DeadLetterSchema, {
      workspaceId,
      subject: m.subject,
      occurredAt: timestampNow(),
      requestId: m.headers?.get(HEADERS.requestId) ?? '',
      reason,
      attempts: m.info.deliveryCount,
      payload: m.data,
      messageId: msgId,
    }),
  );
  try {
    await js.publish(deadLetterSubject(m.subject), body, {
      headers: h,
      msgID: `dlq:${m.info.stream}:${m.info.streamSequence}`,
    });
    // Ack, not term: on a work-queue stream only an ack removes the message,
    // and the dead letter now holds it.
    await m.ackAck();
    logger?.error('message parked on dead-letter subject', { subject: m.subject, reason });
    return true;
  } catch (error) {
    // Could not park it: leave it for redelivery rather than lose it.
    logger?.error('could not park message', { subject: m.subject, error: String(error) });
    m.nak(5000);
    return false;
  }
}

/** Decodes the dead letter written by the consumers. */
export function decodeDeadLetter(data: Uint8Array) {
  return fromBinary(DeadLetterSchema, data);
}

function consumerConfig(
  durable: string | undefined,
  subject: string,
  options: Pick<ConsumeOptions, 'deliver' | 'ackWaitMs' | 'maxDeliver'>,
  defaultDeliver: 'new' | 'all',
): Partial<ConsumerConfig> {
  const deliver = options.deliver ?? defaultDeliver;
  return {
    ...(durable ? { durable_name: durable } : { inactive_threshold: 5 * 60 * SECOND_NS }),
    filter_subject: subject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: deliver === 'all' ? DeliverPolicy.All : DeliverPolicy.New,
    ack_wait: (options.ackWaitMs ?? 30_000) * 1_000_000,
    // The consumer decides when to park; keep the server from giving up first.
    max_deliver: (options.maxDeliver ?? 5) + 1,
  };
}

/**
 * Consumes events from MMM_EVENTS, typed by event name. Each message is
 * decoded, handled inside a span whose parent is the publisher's trace, and
 * acked only after the handler resolves; a throwing handler gets the message
 * again later, and after `maxDeliver` attempts it is parked on mmm.v1.dlq.*.
 */
export async function subscribeEvents<N extends EventName>(
  js: JetStreamClient,
  names: N | N[],
  handler: (delivery: Delivery<EventMessage<N>> & { name: N }) => Promise<void>,
  options: ConsumeOptions<EventMessage<N>> = {},
): Promise<Subscription> {
  const list = Array.isArray(names) ? names : [names];
  const stopping = newStopping();
  const runners: Array<{ stop: () => Promise<void>; closed: Promise<void> }> = [];
  const consumers: string[] = [];
  // One consumer per event: nats-server 2.9 filters on a single subject.
  for (const name of list) {
    const durable = options.durable ? `${options.durable}_${name.replace('.', '_')}` : undefined;
    const consumerName = await ensureConsumer(
      js,
      STREAMS.events,
      consumerConfig(durable, EVENTS[name].subject, options, durable ? 'all' : 'new'),
    );
    consumers.push(consumerName);
    runners.push(
      await runConsumer(
        js,
        STREAMS.events,
        consumerName,
        (data) => decodeEvent(name, data),
        (delivery) => handler({ ...delivery, name }),
        options,
        stopping,
      ),
    );
  }
  return {
    consumers,
    stop: async () => {
      await Promise.all(runners.map((r) => r.stop()));
    },
    closed: Promise.all(runners.map((r) => r.closed)).then(() => undefined),
  };
}

/**
 * Takes jobs from the work-queue stream. All replicas of a worker share one
 * durable consumer, so each job goes to one of them. Call `delivery.working()`
 * during long work so the job is not redelivered to another worker.
 */
export async function consumeJobs<J extends JobName>(
  js: JetStreamClient,
  name: J,
  handler: (delivery: Delivery<JobMessage<J>>) => Promise<void>,
  options: ConsumeOptions<JobMessage<J>> & { durable: string },
): Promise<Subscription> {
  const stopping = newStopping();
  const consumerName = await ensureConsumer(
    js,
    STREAMS.jobs,
    consumerConfig(options.durable, JOBS[name].subject, options, 'all'),
  );
  const runner = await runConsumer(
    js,
    STREAMS.jobs,
    consumerName,
    (data) => decodeJob(name, data),
    handler,
    {
      ...options,
      maxInFlight: options.maxInFlight ?? 1,
      keepAliveMs: options.keepAliveMs ?? Math.max(100, (options.ackWaitMs ?? 30_000) / 3),
    },
    stopping,
  );
  return { consumers: [consumerName], stop: runner.stop, closed: runner.closed };
}
