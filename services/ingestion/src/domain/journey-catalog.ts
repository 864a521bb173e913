import { randomBytes } from 'node:crypto';
import {
  encodeJourneyTable,
  JOURNEY_KINDS,
  RevisionConflictError,
  type JourneyDatasetDescriptor,
  type KvIndex,
  type Logger,
  type ScopedFiles,
} from '@mmm/platform';
import { DatasetValidationError, type MetadataStore, type RequestScope } from './catalog';
import {
  checkJourneyRequest,
  journeyIdentity,
  prepareJourneys,
  resolvedColumns,
  textSlices,
  type JourneyIngestOptions,
} from './journeys';
import type { SourceFormat } from './types';

/** KV kind and object kinds of journey datasets: the platform journey contract's. */
export const JOURNEY_KIND = JOURNEY_KINDS;

/**
 * A journey dataset's metadata as kept in KV (bucket mmm_datasets, kind 'journeys'), the commit
 * point of an ingestion. Other services read its JourneyDatasetDescriptor part (the platform's
 * journey contract).
 */
export interface JourneyDatasetRecord extends JourneyDatasetDescriptor {
  /** 1 on first ingestion (+1 each time it comes back, once deletion exists). */
  generation: number;
  createdAt: string;
  format: SourceFormat;
  /** The file's column for each field, defaults written out; cost null when not required. */
  columns: {
    journeyId: string;
    timestamp: string;
    channel: string;
    converted: string;
    conversionValue: string;
    cost: string | null;
  };
  /** Data rows of the file (touchpoints). */
  rows: number;
  sizeBytes: number;
  /** Id (within kind 'journeys-raw') of the file as sent. */
  rawFile: string;
  /** An announcement committed in KV but not yet acknowledged by JetStream. */
  pendingEvent: 'ingested' | null;
}

/** Files of the object store seen from one workspace (platform's ScopedFiles fits). */
export type JourneyFileStore = Pick<ScopedFiles, 'put' | 'putChunks' | 'delete'>;

export interface JourneyStores {
  metadata: MetadataStore;
  files: JourneyFileStore;
}

export interface JourneyAnnouncer {
  ingested(record: JourneyDatasetRecord, scope: RequestScope): Promise<void>;
}

export interface IngestJourneysRequest extends JourneyIngestOptions {
  content: string;
  name?: string | null;
}

export interface IngestJourneysOutcome {
  dataset: JourneyDatasetRecord;
  /** False when the same content and mapping were already stored. */
  created: boolean;
}

export type JourneyIndex = Pick<KvIndex<JourneyDatasetRecord>, 'list' | 'note' | 'documents'>;

export interface JourneyCatalogDeps {
  stores(workspaceId: string): JourneyStores;
  announcer: JourneyAnnouncer;
  /** Answers `list` from memory when given. */
  index?: JourneyIndex;
  logger?: Logger;
  now?: () => Date;
}

export type JourneyCatalog = ReturnType<typeof createJourneyCatalog>;

const encoder = new TextEncoder();

/**
 * Journey datasets of every workspace, stored like media mix datasets (files first under names
 * unique to the attempt, then the KV record by compare-and-set as the commit point, then the
 * announcement), under kinds of their own.
 */
export function createJourneyCatalog(deps: JourneyCatalogDeps) {
  const now = deps.now ?? (() => new Date());

  async function announce(
    stores: JourneyStores,
    entry: { value: JourneyDatasetRecord; revision: number },
    scope: RequestScope,
  ): Promise<JourneyDatasetRecord> {
    const record = entry.value;
    if (record.pendingEvent === null) return record;
    try {
      await deps.announcer.ingested(record, scope);
    } catch (error) {
      // Committed, not announced: the relay or the next send of the same file announces it.
      deps.logger?.error('could not announce journey dataset; the relay will retry', {
        datasetId: record.id,
        workspaceId: record.workspaceId,
        error: error instanceof Error ? error : String(error),
      });
      return record;
    }
    const done: JourneyDatasetRecord = { ...record, pendingEvent: null };
    try {
      const revision = await stores.metadata.put(JOURNEY_KIND.dataset, record.id, done, {
        expectRevision: entry.revision,
      });
      deps.index?.note(done.workspaceId, done.id, done, revision);
    } catch (error) {
      if (!(error instanceof RevisionConflictError)) throw error;
    }
    return done;
  }

  async function ingest(
    scope: RequestScope,
    request: IngestJourneysRequest,
  ): Promise<IngestJourneysOutcome> {
    const { content, name, ...options } = request;
    const refused = checkJourneyRequest(content, options);
    if (refused.length > 0) throw new DatasetValidationError(refused, refused.length);
    // The id first (hashing is cheap): a file sent again is answered without parsing it again.
    const { id, contentSha256, sizeBytes } = journeyIdentity(content, options);
    const stores = deps.stores(scope.workspaceId);
    const existing = await stores.metadata.getEntry<JourneyDatasetRecord>(JOURNEY_KIND.dataset, id);
    if (existing?.value.status === 'ACTIVE') {
      return { dataset: await announce(stores, existing, scope), created: false };
    }

    const prepared = prepareJourneys(content, options);
    if (!prepared.ok) throw new DatasetValidationError(prepared.issues, prepared.issueCount);
    const { table, summary, rows } = prepared.journeys;

    const attempt = `${id}-${randomBytes(6).toString('hex')}`;
    const resolved = resolvedColumns(options.columns);
    const record: JourneyDatasetRecord = {
      schemaVersion: 1,
      id,
      workspaceId: scope.workspaceId,
      name: name?.trim() || id,
      status: 'ACTIVE',
      ...summary,
      contentSha256,
      tableFile: attempt,
      generation: (existing?.value.generation ?? 0) + 1,
      createdAt: now().toISOString(),
      format: options.format,
      columns: {
        journeyId: resolved.journeyId,
        timestamp: resolved.timestamp,
        channel: resolved.channel,
        converted: resolved.converted,
        conversionValue: resolved.conversionValue,
        cost: table.cost === null ? null : resolved.cost,
      },
      rows,
      sizeBytes,
      rawFile: attempt,
      pendingEvent: 'ingested',
    };

    const written: string[] = [];
    let revision: number;
    try {
      written.push(JOURNEY_KIND.raw);
      // The raw file goes out slice by slice: its bytes are never one buffer beside the text.
      await stores.files.putChunks(
        JOURNEY_KIND.raw,
        attempt,
        (function* () {
          for (const slice of textSlices(content)) yield encoder.encode(slice);
        })(),
      );
      written.push(JOURNEY_KIND.table);
      await stores.files.put(
        JOURNEY_KIND.table,
        attempt,
        encodeJourneyTable({ schemaVersion: 1, datasetId: id, ...table }),
      );
      revision = await stores.metadata.put(JOURNEY_KIND.dataset, id, record, {
        expectRevision: existing?.revision ?? 0,
      });
    } catch (error) {
      for (const kind of written) {
        await stores.files.delete(kind, attempt).catch((cause: unknown) => {
          deps.logger?.warn('could not remove file of a failed journey ingestion', {
            kind,
            fileId: attempt,
            error: String(cause),
          });
        });
      }
      if (!(error instanceof RevisionConflictError)) throw error;
      // A concurrent request committed the same dataset first: its result is ours.
      const winner = await stores.metadata.getEntry<JourneyDatasetRecord>(JOURNEY_KIND.dataset, id);
      if (winner?.value.status !== 'ACTIVE') throw error;
      return { dataset: await announce(stores, winner, scope), created: false };
    }
    deps.index?.note(record.workspaceId, record.id, record, revision);
    deps.logger?.info('journey dataset stored', {
      datasetId: id,
      workspaceId: scope.workspaceId,
      journeys: record.journeys,
      touchpoints: record.touchpoints,
    });
    return { dataset: await announce(stores, { value: record, revision }, scope), created: true };
  }

  async function get(scope: RequestScope, id: string): Promise<JourneyDatasetRecord | null> {
    const entry = await deps
      .stores(scope.workspaceId)
      .metadata.getEntry<JourneyDatasetRecord>(JOURNEY_KIND.dataset, id);
    return entry?.value.status === 'ACTIVE' ? entry.value : null;
  }

  async function list(scope: RequestScope): Promise<JourneyDatasetRecord[]> {
    const entries = deps.index
      ? await deps.index.list(scope.workspaceId)
      : await deps
          .stores(scope.workspaceId)
          .metadata.list<JourneyDatasetRecord>(JOURNEY_KIND.dataset);
    return entries
      .map((entry) => entry.value)
      .filter((record) => record.status === 'ACTIVE')
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  /** Announces a committed journey dataset whose event never reached JetStream. */
  async function announcePending(record: JourneyDatasetRecord): Promise<boolean> {
    const stores = deps.stores(record.workspaceId);
    const entry = await stores.metadata.getEntry<JourneyDatasetRecord>(
      JOURNEY_KIND.dataset,
      record.id,
    );
    if (entry === null || entry.value.pendingEvent === null) return true;
    const after = await announce(stores, entry, { workspaceId: record.workspaceId });
    return after.pendingEvent === null;
  }

  return { ingest, get, list, announcePending };
}
