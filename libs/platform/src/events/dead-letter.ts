import { create, toBinary } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { FailureCode } from '../errors';
import { DeadLetterSchema } from '../gen/mmm/v1/jobs_pb';
import type { Logger } from '../logger';
import { HEADERS, deadLetterSubject } from './catalog';
import { injectTraceContext } from './trace';

/**
 * Parks a message on the dead-letter stream with its code and reason, then acks it. False
 * when it could not be parked: then it is handed back for a later delivery, never lost.
 */
export async function park(
  js: JetStreamClient,
  m: JsMsg,
  failure: { code: FailureCode; reason: string },
  logger?: Logger,
): Promise<boolean> {
  const h = natsHeaders();
  h.set(HEADERS.error, failure.reason.slice(0, 500));
  h.set(HEADERS.errorCode, failure.code);
  injectTraceContext(h);
  const body = toBinary(
    DeadLetterSchema,
    create(DeadLetterSchema, {
      workspaceId: m.headers?.get(HEADERS.workspaceId) ?? '',
      subject: m.subject,
      occurredAt: timestampNow(),
      requestId: m.headers?.get(HEADERS.requestId) ?? '',
      reason: failure.reason,
      attempts: m.info.deliveryCount,
      payload: m.data,
      messageId: m.headers?.get(HEADERS.msgId) ?? '',
      code: failure.code,
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
    logger?.error('message parked on dead-letter subject', {
      subject: m.subject,
      code: failure.code,
      reason: failure.reason,
    });
    return true;
  } catch (error) {
    logger?.error('could not park message', { subject: m.subject, error: String(error) });
    m.nak(5000);
    return false;
  }
}
