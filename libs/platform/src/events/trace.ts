import type { MsgHdrs } from '@nats-io/nats-core';
import {
  ROOT_CONTEXT,
  context,
  propagation,
  trace,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';

// W3C trace context across NATS: no NATS instrumentation package exists, so the propagator
// writes into and reads from the message headers.

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

export const messagingTracer = () => trace.getTracer('@mmm/platform');
