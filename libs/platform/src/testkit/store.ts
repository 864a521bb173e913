import { createHash } from 'node:crypto';
import { STREAMS, type Provisioned } from '../nats';

/**
 * Everything a service has stored, as one comparable map: every key of every KV bucket (its
 * revision, operation and a hash of its value), every object of the object store (its digest
 * and whether it is deleted), and the number of messages per subject of the event, job and
 * dead-letter streams. Two snapshots are equal exactly when nothing was written in between.
 * Subjects for which `ignoreSubject` answers true (e.g. an audit trail that records refusals
 * too) are left out.
 */
export async function storeSnapshot(
  storage: Provisioned,
  options: { ignoreSubject?: (subject: string) => boolean } = {},
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [bucket, kv] of Object.entries(storage.kv)) {
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    for (const key of keys) {
      const entry = await kv.get(key);
      if (!entry) continue;
      const digest = createHash('sha256').update(entry.value).digest('hex').slice(0, 16);
      out[`kv:${bucket}:${key}`] = `${entry.revision}:${entry.operation}:${digest}`;
    }
  }
  for (const info of await storage.files.list()) {
    out[`obj:${info.name}`] = `${info.digest}:${info.deleted ? 'deleted' : 'live'}`;
  }
  const ignore = options.ignoreSubject ?? (() => false);
  for (const stream of Object.values(STREAMS)) {
    const info = await storage.jsm.streams.info(stream, { subjects_filter: '>' });
    for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
      if (!ignore(subject)) out[`msg:${stream}:${subject}`] = String(count);
    }
  }
  return out;
}

/** Leaves out audit subjects: an audit trail records refused requests on purpose. */
export const notAudit = (subject: string): boolean => /(^|\.)audit(\.|$)/.test(subject);
