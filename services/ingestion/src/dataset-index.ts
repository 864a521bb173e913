import { parseScopedKey, type KV, type Logger } from '@mmm/platform';
import { KINDS, type DatasetIndex, type DatasetRecord } from './domain/catalog';

interface Indexed {
  /** Null once the key is deleted or purged (kept to order later updates). */
  record: DatasetRecord | null;
  revision: number;
}

/**
 * Every dataset's metadata in memory, kept current by a KV watch, so that
 * `datasets` is answered without listing keys on the server (a consumer per
 * request). Writes of this process are noted at once; those of other replicas
 * arrive within milliseconds. Until the initial values are in, or when the
 * watch ends, `list` answers null and the catalog reads KV instead.
 */
export async function watchDatasetIndex(
  kv: KV,
  logger?: Logger,
): Promise<DatasetIndex & { stop(): Promise<void> }> {
  const byWorkspace = new Map<string, Map<string, Indexed>>();
  let ready = false;
  let stopped = false;

  const apply = (workspaceId: string, id: string, entry: Indexed) => {
    let datasets = byWorkspace.get(workspaceId);
    if (!datasets) {
      datasets = new Map();
      byWorkspace.set(workspaceId, datasets);
    }
    const known = datasets.get(id);
    // This process notes its own writes before the watch echoes them back.
    if (known && known.revision >= entry.revision) return;
    datasets.set(id, entry);
  };

  // An empty bucket sends nothing to mark the end of the initial values.
  if ((await kv.status()).values === 0) ready = true;
  const watch = await kv.watch({ key: `*.${KINDS.dataset}.*` });
  const done = (async () => {
    for await (const entry of watch) {
      try {
        const { workspaceId, id } = parseScopedKey(entry.key);
        const live = entry.operation === 'PUT' && entry.length > 0;
        apply(workspaceId, id, {
          record: live ? entry.json<DatasetRecord>() : null,
          revision: entry.revision,
        });
      } catch (error) {
        logger?.warn('unreadable dataset metadata in KV', { key: entry.key, error: String(error) });
      }
      if (entry.delta === 0 || entry.isUpdate) ready = true;
    }
  })()
    .catch((error: unknown) => logger?.warn('dataset index watch failed', { error: String(error) }))
    .finally(() => {
      ready = false;
      if (!stopped) logger?.warn('dataset index watch ended; listing from KV');
    });

  return {
    list(workspaceId) {
      if (!ready) return null;
      const records: DatasetRecord[] = [];
      for (const entry of byWorkspace.get(workspaceId)?.values() ?? []) {
        if (entry.record) records.push(entry.record);
      }
      return records;
    },
    note(record, revision) {
      apply(record.workspaceId, record.id, { record, revision });
    },
    async stop() {
      stopped = true;
      watch.stop();
      await done;
    },
  };
}
