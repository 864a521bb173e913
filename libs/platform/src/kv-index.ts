import type { KV } from '@nats-io/kv';
import type { Logger } from './logger';
import { parseScopedKey, scopedKv } from './storage';

/** One document of the index, with where it lives. */
export interface IndexedDocument<T> {
  workspaceId: string;
  id: string;
  value: T;
  revision: number;
}

/**
 * Every document of one kind of a KV bucket, in memory, kept current by a KV watch: lists are
 * answered without a key-listing consumer and one get per key on the server. Writes of this
 * process are noted at once (`note`); those of other replicas arrive within milliseconds.
 */
export interface KvIndex<T> {
  readonly kind: string;
  /** True once the initial values are in and while the watch runs. */
  isReady(): boolean;
  /** Live documents of a workspace (id order) from memory; null while the index is not ready. */
  peek(workspaceId: string): Array<{ id: string; value: T }> | null;
  /** Live documents of a workspace (id order): from memory, or read from KV while not ready. */
  list(workspaceId: string): Promise<Array<{ id: string; value: T }>>;
  /** Live documents of every workspace; null while the index is not ready. */
  documents(): Array<IndexedDocument<T>> | null;
  /** A write of this process at this KV revision (null: deleted), before the watch echoes it. */
  note(workspaceId: string, id: string, value: T | null, revision: number): void;
  stop(): Promise<void>;
}

export interface KvIndexOptions<T> {
  logger?: Logger;
  /** Called for each change the watch delivers (initial values included). */
  onChange?: (document: IndexedDocument<T | null>) => void;
}

interface Slot<T> {
  /** Null once the key is deleted or purged (kept to order later updates). */
  value: T | null;
  revision: number;
}

/** Starts watching `<workspace>.<kind>.*` in a bucket; resolves once the watch is open. */
export async function watchKvIndex<T>(
  kv: KV,
  kind: string,
  options: KvIndexOptions<T> = {},
): Promise<KvIndex<T>> {
  const { logger } = options;
  const byWorkspace = new Map<string, Map<string, Slot<T>>>();
  let ready = false;
  let stopped = false;

  const apply = (workspaceId: string, id: string, slot: Slot<T>): boolean => {
    let documents = byWorkspace.get(workspaceId);
    if (!documents) {
      documents = new Map();
      byWorkspace.set(workspaceId, documents);
    }
    const known = documents.get(id);
    // This process notes its own writes before the watch echoes them back.
    if (known && known.revision >= slot.revision) return false;
    documents.set(id, slot);
    return true;
  };

  const live = (workspaceId: string) => {
    const out: Array<{ id: string; value: T }> = [];
    for (const [id, slot] of byWorkspace.get(workspaceId) ?? []) {
      if (slot.value !== null) out.push({ id, value: slot.value });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  };

  // An empty bucket sends nothing to mark the end of the initial values.
  if ((await kv.status()).values === 0) ready = true;
  const watch = await kv.watch({ key: `*.${kind}.*` });
  const done = (async () => {
    for await (const entry of watch) {
      try {
        const { workspaceId, id } = parseScopedKey(entry.key);
        const present = entry.operation === 'PUT' && entry.length > 0;
        const slot = { value: present ? entry.json<T>() : null, revision: entry.revision };
        if (apply(workspaceId, id, slot)) {
          options.onChange?.({ workspaceId, id, ...slot });
        }
      } catch (error) {
        logger?.warn('unreadable document in KV', { key: entry.key, error: String(error) });
      }
      if (entry.delta === 0 || entry.isUpdate) ready = true;
    }
  })()
    .catch((error: unknown) =>
      logger?.warn('KV index watch failed', { kind, error: String(error) }),
    )
    .finally(() => {
      ready = false;
      if (!stopped) logger?.warn('KV index watch ended; listing from KV', { kind });
    });

  return {
    kind,
    isReady: () => ready,
    peek: (workspaceId) => (ready ? live(workspaceId) : null),
    async list(workspaceId) {
      if (ready) return live(workspaceId);
      return scopedKv(kv, workspaceId).list<T>(kind);
    },
    documents() {
      if (!ready) return null;
      const out: Array<IndexedDocument<T>> = [];
      for (const [workspaceId, documents] of byWorkspace) {
        for (const [id, slot] of documents) {
          if (slot.value !== null) {
            out.push({ workspaceId, id, value: slot.value, revision: slot.revision });
          }
        }
      }
      return out;
    },
    note(workspaceId, id, value, revision) {
      apply(workspaceId, id, { value, revision });
    },
    async stop() {
      stopped = true;
      watch.stop();
      await done;
    },
  };
}
