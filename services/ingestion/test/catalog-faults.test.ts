import { createLogger, workspaceStorage } from '@mmm/platform';
import {
  createDatasetCatalog,
  KINDS,
  type DatasetAnnouncer,
  type IngestRequest,
  type WorkspaceStores,
} from '../src/domain';
import { natsAnnouncer } from '../src/events';
import { fileRows, toCsvText, weeklyOptions } from './fixtures';
import { eventually, startRig, type Rig } from './harness';

jest.setTimeout(30_000);

// Faults injected around the real stores of a real nats-server: the failure
// paths of an ingestion, which a healthy server never takes.

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.stop();
});

function realStores(workspaceId: string): WorkspaceStores {
  const scoped = workspaceStorage(
    { kv: rig.ingestion.storage.kv, files: rig.ingestion.storage.files },
    workspaceId,
  );
  return { metadata: scoped.kv.datasets, files: scoped.files };
}

function request(periods: number): IngestRequest {
  return { content: toCsvText(fileRows(periods)), ...weeklyOptions() };
}

const silent = createLogger('ingestion', { level: 'silent' });

describe('an ingestion that fails half-way', () => {
  it('removes the raw file when the table cannot be stored, and commits no metadata', async () => {
    const ws = rig.workspace();
    const catalog = createDatasetCatalog({
      stores: (workspaceId) => {
        const stores = realStores(workspaceId);
        return {
          metadata: stores.metadata,
          files: {
            ...stores.files,
            put: async (kind, id, data) => {
              if (kind === KINDS.table) throw new Error('object store unavailable');
              return stores.files.put(kind, id, data);
            },
          },
        };
      },
      announcer: natsAnnouncer(rig.ingestion.storage.js),
      logger: silent,
    });
    await expect(catalog.ingest({ workspaceId: ws }, request(30))).rejects.toThrow(
      'object store unavailable',
    );
    expect(await rig.stored(ws)).toEqual({ keys: [], objects: [] });
  });

  it('removes both files when the metadata cannot be committed', async () => {
    const ws = rig.workspace();
    const catalog = createDatasetCatalog({
      stores: (workspaceId) => {
        const stores = realStores(workspaceId);
        return {
          files: stores.files,
          metadata: {
            ...stores.metadata,
            getEntry: stores.metadata.getEntry.bind(stores.metadata),
            list: stores.metadata.list.bind(stores.metadata),
            put: async () => {
              throw new Error('kv unavailable');
            },
          },
        };
      },
      announcer: natsAnnouncer(rig.ingestion.storage.js),
      logger: silent,
    });
    await expect(catalog.ingest({ workspaceId: ws }, request(31))).rejects.toThrow(
      'kv unavailable',
    );
    expect(await rig.stored(ws)).toEqual({ keys: [], objects: [] });
  });
});

describe('an announcement that fails', () => {
  it('keeps the dataset and announces it when the same file is sent again', async () => {
    const ws = rig.workspace();
    const real = natsAnnouncer(rig.ingestion.storage.js);
    let failures = 1;
    const flaky: DatasetAnnouncer = {
      ingested: async (record, scope) => {
        if (failures-- > 0) throw new Error('nats unavailable');
        await real.ingested(record, scope);
      },
      deleted: real.deleted,
    };
    const catalog = createDatasetCatalog({ stores: realStores, announcer: flaky, logger: silent });
    await expect(catalog.ingest({ workspaceId: ws }, request(32))).rejects.toThrow(
      'nats unavailable',
    );
    // Stored (the KV commit happened), marked as not yet announced.
    const stored = await rig.stored(ws);
    expect(stored.keys).toHaveLength(1);
    expect(rig.eventsOf(ws)).toEqual([]);

    const again = await catalog.ingest({ workspaceId: ws }, request(32));
    expect(again.created).toBe(false);
    expect(again.dataset.pendingEvent).toBeNull();
    await eventually(() => rig.eventsOf(ws).length === 1);

    const third = await catalog.ingest({ workspaceId: ws }, request(32));
    expect(third.dataset.pendingEvent).toBeNull();
    expect(rig.eventsOf(ws)).toHaveLength(1);
  });
});
