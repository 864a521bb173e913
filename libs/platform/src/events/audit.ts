/**
 * The audit trail: the gateway records every mutation (who, what, when, outcome, request id) on
 * mmm.v1.audit.<workspace> in the MMM_AUDIT stream; admins read a workspace's records back.
 */
import { randomUUID } from 'node:crypto';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { AuditRecordedSchema, type AuditRecorded } from '../gen/mmm/v1/audit_pb';
import { AUDIT_SUBJECT_PREFIX, STREAMS } from '../nats';
import { HEADERS } from './catalog';

export type { AuditRecorded };

export type AuditOutcome = 'OK' | 'ERROR' | 'REFUSED';

export interface AuditEntry {
  workspaceId: string;
  requestId: string;
  subject: string;
  role: string;
  operationName: string;
  fields: string[];
  outcome: AuditOutcome;
  errorCodes: string[];
  occurredAt?: Date;
}

export function auditSubject(workspaceId: string): string {
  return `${AUDIT_SUBJECT_PREFIX}.${workspaceId}`;
}

/** Stores one audit record; resolves once JetStream has it. */
export async function publishAudit(js: JetStreamClient, entry: AuditEntry): Promise<AuditRecorded> {
  const record = create(AuditRecordedSchema, {
    ...entry,
    auditId: randomUUID(),
    occurredAt: timestampFromDate(entry.occurredAt ?? new Date()),
  });
  const h = natsHeaders();
  h.set(HEADERS.requestId, entry.requestId);
  h.set(HEADERS.workspaceId, entry.workspaceId);
  await js.publish(auditSubject(entry.workspaceId), toBinary(AuditRecordedSchema, record), {
    msgID: record.auditId,
    headers: h,
  });
  return record;
}

export interface AuditQuery {
  /** At most this many, the newest. */
  limit: number;
  /** Only records from this time on. */
  since?: Date;
}

/** A workspace's audit records, newest first. */
export async function readAudit(
  js: JetStreamClient,
  workspaceId: string,
  query: AuditQuery,
): Promise<AuditRecorded[]> {
  const consumer = await js.consumers.get(STREAMS.audit, {
    // One subject as a string: a list needs nats-server 2.10, Debian ships older.
    filter_subjects: auditSubject(workspaceId),
    ...(query.since
      ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: query.since.toISOString() }
      : { deliver_policy: DeliverPolicy.All }),
  });
  const pending = (await consumer.info(true)).num_pending;
  const records: AuditRecorded[] = [];
  let left = pending;
  while (left > 0) {
    const batch = await consumer.fetch({ max_messages: Math.min(left, 1000), expires: 2000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      records.push(fromBinary(AuditRecordedSchema, m.data));
      if (records.length > query.limit) records.shift();
    }
    if (got === 0) break;
    left -= got;
  }
  await consumer.delete().catch(() => undefined);
  return records.reverse();
}

/** When a record happened, as a Date. */
export function auditTime(record: AuditRecorded): Date {
  return record.occurredAt ? timestampDate(record.occurredAt) : new Date(0);
}
