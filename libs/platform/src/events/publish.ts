import { randomUUID } from 'node:crypto';
import {
  create,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { messagingMetrics } from '../metrics';
import {
  EVENTS,
  HEADERS,
  JOBS,
  type EventInit,
  type EventName,
  type JobInit,
  type JobName,
} from './catalog';
import { injectTraceContext, messagingTracer } from './trace';

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

async function publishBytes(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array,
  kind: string,
  options: PublishOptions,
  workspaceId: string | undefined,
): Promise<PubAck> {
  return messagingTracer().startActiveSpan(
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
