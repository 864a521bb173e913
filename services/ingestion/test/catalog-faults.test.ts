import { createLogger, watchKvIndex, workspaceStorage } from '@mmm/platform';
import {
  createDatasetCatalog,
  startEventRelay,
  KINDS,
  type DatasetAnnouncer,
  type DatasetRecord,
  type IngestRequest,
  type WorkspaceStores,
} from '../src/domain';
import { eventMessageId, natsAnnouncer } from '../src/events';
import { fileRows, toCsvText, weeklyOptions } from './fixtures';
import { eventually, settle, startIngestion, startRig, type Rig } from './harness';

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
  function flakyAnnouncer(failures: number): DatasetAnnouncer {
    const real = natsAnnouncer(rig.ingestion.storage.js);
    let left = failures;
    return {
      ingested: async (record, scope) => {
        if (left-- > 0) throw new Error('nats unavailable');
        await real.ingested(record, scope);
      },
      deleted: real.deleted,
    };
  }

  it('keeps the dataset, returns it as pending, and announces it when the same file is sent again', async () => {
    const ws = rig.workspace();
    const catalog = createDatasetCatalog({
      stores: realStores,
      announcer: flakyAnnouncer(1),
      logger: silent,
    });
    const first = await catalog.ingest({ workspaceId: ws }, request(32));
    // Stored (the KV commit happened) and returned, marked as not yet announced.
    expect(first.created).toBe(true);
    expect(first.dataset.pendingEvent).toBe('ingested');
    expect((await rig.stored(ws)).keys).toHaveLength(1);
    await settle();
    expect(rig.eventsOf(ws)).toEqual([]);

    const again = await catalog.ingest({ workspaceId: ws }, request(32));
    expect(again.created).toBe(false);
    expect(again.dataset.pendingEvent).toBeNull();
    await eventually(() => rig.eventsOf(ws).length === 1);

    const third = await catalog.ingest({ workspaceId: ws }, request(32));
    expect(third.dataset.pendingEvent).toBeNull();
    await settle();
    expect(rig.eventsOf(ws)).toHaveLength(1);
  });

  it('is announced without a resend: the relay publishes what was committed but not announced', async () => {
    const ws = rig.workspace();
    const index = await watchKvIndex<DatasetRecord>(
      rig.ingestion.storage.kv.datasets,
      KINDS.dataset,
    );
    const catalog = createDatasetCatalog({
      stores: realStores,
      index,
      announcer: flakyAnnouncer(1),
      logger: silent,
    });
    const relay = startEventRelay({ catalog, index, intervalMs: 100, logger: silent });
    try {
      const { dataset } = await catalog.ingest({ workspaceId: ws }, request(33));
      expect(dataset.pendingEvent).toBe('ingested');
      // Nobody sends the file again: the relay's sweeps find the pending record.
      const [event] = await eventually(() => rig.eventsOf(ws).length === 1 && rig.eventsOf(ws));
      expect(event.name).toBe('dataset.ingested');
      expect(event.message.datasetId).toBe(dataset.id);
      expect(event.msgId).toBe(eventMessageId('ingested', dataset));
      await eventually(
        async () => (await catalog.get({ workspaceId: ws }, dataset.id))?.pendingEvent === null,
      );
      // Later sweeps find nothing more to announce.
      await settle();
      expect(rig.eventsOf(ws)).toHaveLength(1);
    } finally {
      await relay.stop();
      await index.stop();
    }
  });

  it('is announced by the relay of a service that starts after the failure', async () => {
    const ws = rig.workspace();
    const catalog = createDatasetCatalog({
      stores: realStores,
      announcer: flakyAnnouncer(1),
      logger: silent,
    });
    const { dataset } = await catalog.ingest({ workspaceId: ws }, request(34));
    expect(dataset.pendingEvent).toBe('ingested');
    await settle();
    expect(rig.eventsOf(ws)).toEqual([]);
    // A replica starting now sweeps every pending record at once.
    const replica = await startIngestion(rig.server.url);
    try {
      await eventually(() => rig.eventsOf(ws).length === 1);
    } finally {
      await replica.stop();
    }
  });
});
