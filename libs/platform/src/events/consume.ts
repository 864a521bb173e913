import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerConfig,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { PermanentFailure, failureCodeOf, type FailureCode } from '../errors';
import type { Logger } from '../logger';
import { messagingMetrics } from '../metrics';
import { STREAMS } from '../nats';
import {
  EVENTS,
  HEADERS,
  JOBS,
  decodeEvent,
  decodeJob,
  type EventMessage,
  type EventName,
  type JobMessage,
  type JobName,
} from './catalog';
import { park } from './dead-letter';
import { extractTraceContext, messagingTracer } from './trace';

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
  code: FailureCode;
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
  /**
   * Deliveries before a message is parked on the dead-letter subject; default 5. A handler
   * that throws PermanentFailure parks it at once.
   */
  maxDeliver?: number;
  /** Time the handler has before JetStream redelivers; default 30 s. */
  ackWaitMs?: number;
  /**
   * Events: messages delivered ahead of the handler (the consumer's max_ack_pending); while
   * they wait they are kept alive, so none runs out its ack wait behind a slow one. Default 16.
   */
  maxInFlight?: number;
  /** Jobs: jobs this process handles at once, each taken only when a slot is free; default 1. */
  concurrency?: number;
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
  /** Stops fetching, lets the handlers in progress finish (they will be acked or nak'ed). */
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

function consumerConfig(
  durable: string | undefined,
  subject: string,
  options: Pick<ConsumeOptions, 'deliver' | 'ackWaitMs' | 'maxDeliver'>,
  defaultDeliver: 'new' | 'all',
  maxAckPending: number | undefined,
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
    ...(maxAckPending ? { max_ack_pending: maxAckPending } : {}),
  };
}

interface Stopping {
  stopped: boolean;
  abort: AbortController;
}

function newStopping(): Stopping {
  return { stopped: false, abort: new AbortController() };
}

/**
 * Handles one message: decode, run the handler in a span that continues the publisher's trace,
 * then ack (only once the handler resolved), retry later, park, or hand back at shutdown.
 */
async function handleMessage<T>(
  js: JetStreamClient,
  m: JsMsg,
  consumerName: string,
  decode: (data: Uint8Array) => T,
  handler: (delivery: Delivery<T>) => Promise<void>,
  options: ConsumeOptions<T>,
  stopping: Stopping,
): Promise<void> {
  const logger = options.logger;
  const maxDeliver = options.maxDeliver ?? 5;
  const retryDelay = options.retryDelayMs ?? ((n: number) => Math.min(30_000, 1000 * n));
  const parent = extractTraceContext(m.headers);
  await messagingTracer().startActiveSpan(
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
      const requestId = m.headers?.get(HEADERS.requestId) || undefined;
      const outcome = (value: string) =>
        messagingMetrics.processed.inc({ subject: m.subject, outcome: value });
      let decoded: T;
      try {
        decoded = decode(m.data);
      } catch (error) {
        // A body that cannot be decoded will never be: park it at once.
        const reason = `undecodable body: ${(error as Error).message}`;
        await park(js, m, { code: 'UNDECODABLE', reason }, logger);
        outcome('dead_letter');
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'undecodable' });
        span.end();
        return;
      }
      const keepAlive = options.keepAliveMs
        ? setInterval(() => m.working(), options.keepAliveMs)
        : undefined;
      const endTimer = messagingMetrics.duration.startTimer({ subject: m.subject });
      let failure: unknown;
      let handled = false;
      try {
        await handler({
          message: decoded,
          subject: m.subject,
          msgId,
          requestId,
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
        const permanent = error instanceof PermanentFailure;
        if (stopping.abort.signal.aborted && !permanent) {
          logger?.info('handed back at shutdown', { subject: m.subject, delivery: count });
          m.nak();
          outcome('handed_back');
        } else if (permanent || count >= maxDeliver) {
          const code = failureCodeOf(error);
          if (await park(js, m, { code, reason }, logger)) {
            outcome('dead_letter');
            try {
              await options.onDeadLetter?.({
                message: decoded,
                subject: m.subject,
                msgId,
                requestId,
                code,
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
}

interface Runner {
  stop(): Promise<void>;
  closed: Promise<void>;
}

/**
 * Events: the consumer delivers up to maxInFlight messages ahead (its max_ack_pending); they
 * are taken off the client's buffer at once and kept alive (working()) while they wait for the
 * handler, which takes them one at a time in order. Without that, a message fetched ahead of a
 * slow one would run out its ack wait unhandled and come back as a second delivery.
 */
async function runEventConsumer<T>(
  js: JetStreamClient,
  consumerName: string,
  decode: (data: Uint8Array) => T,
  handler: (delivery: Delivery<T>) => Promise<void>,
  options: ConsumeOptions<T>,
  stopping: Stopping,
): Promise<Runner> {
  const consumer = await js.consumers.get(STREAMS.events, consumerName);
  const messages = await consumer.consume({ max_messages: options.maxInFlight ?? 16 });
  const logger = options.logger;
  const waiting: JsMsg[] = [];
  let wake: (() => void) | undefined;
  let readerDone = false;
  const refresh = setInterval(
    () => {
      for (const m of waiting) m.working();
    },
    Math.max(100, (options.ackWaitMs ?? 30_000) / 3),
  );

  const reader = (async () => {
    for await (const m of messages) {
      if (stopping.stopped) {
        // Hand it back at once so another replica can take it.
        m.nak();
        continue;
      }
      waiting.push(m);
      wake?.();
    }
  })()
    .catch((error: unknown) => {
      logger?.error('consumer stopped on error', { consumer: consumerName, error: String(error) });
    })
    .finally(() => {
      readerDone = true;
      wake?.();
    });

  const processor = (async () => {
    for (;;) {
      const m = waiting.shift();
      if (!m) {
        if (readerDone) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (stopping.stopped) {
        m.nak();
        continue;
      }
      try {
        await handleMessage(js, m, consumerName, decode, handler, options, stopping);
      } catch (error) {
        // e.g. the connection closed under a nak; JetStream redelivers after ack_wait.
        logger?.error('message handling failed', { subject: m.subject, error: String(error) });
      }
    }
  })();

  const closed = Promise.all([reader, processor]).then(() => clearInterval(refresh));
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

/**
 * Jobs: each of `concurrency` loops pulls one job only when it is free, so a busy worker never
 * holds a job another worker could start.
 */
async function runJobConsumer<T>(
  js: JetStreamClient,
  consumerName: string,
  decode: (data: Uint8Array) => T,
  handler: (delivery: Delivery<T>) => Promise<void>,
  options: ConsumeOptions<T>,
  stopping: Stopping,
): Promise<Runner> {
  const consumer = await js.consumers.get(STREAMS.jobs, consumerName);
  const logger = options.logger;
  const pulls = new Set<{ stop(): void }>();
  const loop = async () => {
    while (!stopping.stopped) {
      let m: JsMsg | undefined;
      try {
        const batch = await consumer.fetch({ max_messages: 1, expires: 5_000 });
        pulls.add(batch);
        try {
          for await (const received of batch) m = received;
        } finally {
          pulls.delete(batch);
        }
      } catch (error) {
        if (stopping.stopped) break;
        logger?.warn('job pull failed; trying again', { error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      if (!m) continue;
      if (stopping.stopped) {
        m.nak();
        break;
      }
      try {
        await handleMessage(js, m, consumerName, decode, handler, options, stopping);
      } catch (error) {
        logger?.error('job handling failed', { subject: m.subject, error: String(error) });
      }
    }
  };
  const closed = Promise.all(
    Array.from({ length: Math.max(1, options.concurrency ?? 1) }, () => loop()),
  ).then(() => undefined);
  return {
    stop: async () => {
      stopping.stopped = true;
      stopping.abort.abort();
      for (const pull of pulls) pull.stop();
      await closed;
    },
    closed,
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
  const runners: Runner[] = [];
  const consumers: string[] = [];
  // One consumer per event: nats-server 2.9 filters on a single subject.
  for (const name of list) {
    const durable = options.durable ? `${options.durable}_${name.replace('.', '_')}` : undefined;
    const consumerName = await ensureConsumer(
      js,
      STREAMS.events,
      consumerConfig(
        durable,
        EVENTS[name].subject,
        options,
        durable ? 'all' : 'new',
        options.maxInFlight ?? 16,
      ),
    );
    consumers.push(consumerName);
    runners.push(
      await runEventConsumer(
        js,
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
 * durable consumer, so each job goes to one of them. Long work is kept alive
 * (working() every keepAliveMs), so only a crashed worker's job is redelivered.
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
    consumerConfig(options.durable, JOBS[name].subject, options, 'all', undefined),
  );
  const runner = await runJobConsumer(
    js,
    consumerName,
    (data) => decodeJob(name, data),
    handler,
    {
      ...options,
      keepAliveMs: options.keepAliveMs ?? Math.max(100, (options.ackWaitMs ?? 30_000) / 3),
    },
    stopping,
  );
  return { consumers: [consumerName], stop: runner.stop, closed: runner.closed };
}
