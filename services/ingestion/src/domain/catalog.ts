import { randomBytes } from 'node:crypto';
import {
  DATASET_KINDS,
  RevisionConflictError,
  ValidationError,
  type DatasetDescriptor,
  type KvIndex,
  type Logger,
  type StoredTable,
} from '@mmm/platform';
import { contentHash, datasetId } from './identity';
import { prepareLongDataset, resolveLongOptions } from './long';
import { prepareDataset, type PreparedDataset } from './prepare';
import { LONG_FORMATS, type IngestOptions, type Issue, type SourceFormat } from './types';

/** KV kind and object kinds of this service (`<workspace>.<kind>.<id>` keys): the contract's. */
export const KINDS = DATASET_KINDS;

/** The JSON documents of one KV bucket, seen from one workspace (platform's ScopedKv fits). */
export interface MetadataStore {
  put<T>(
    kind: string,
    id: string,
    value: T,
    options?: { expectRevision?: number },
  ): Promise<number>;
  getEntry<T>(kind: string, id: string): Promise<{ value: T; revision: number } | null>;
  list<T>(kind: string): Promise<Array<{ id: string; value: T }>>;
}

/** Files of the object store, seen from one workspace (platform's ScopedFiles fits). */
export interface FileStore {
  put(kind: string, id: string, data: Uint8Array): Promise<{ name: string; size: number }>;
  get(kind: string, id: string): Promise<Uint8Array | null>;
  delete(kind: string, id: string): Promise<boolean>;
}

export interface WorkspaceStores {
  metadata: MetadataStore;
  files: FileStore;
}

/** Who asks: every read and write is scoped by the workspace. */
export interface RequestScope {
  workspaceId: string;
  requestId?: string;
}

/**
 * The metadata of a dataset as kept in KV; the commit point of an ingestion. Other services
 * read its DatasetDescriptor part (the platform's dataset contract).
 */
export interface DatasetRecord extends Omit<PreparedDataset, 'table'>, DatasetDescriptor {
  schemaVersion: 1;
  id: string;
  workspaceId: string;
  name: string;
  status: 'ACTIVE' | 'DELETED';
  /** 1 on first ingestion, +1 each time it is brought back after deletion. */
  generation: number;
  createdAt: string;
  deletedAt: string | null;
  format: SourceFormat;
  options: IngestOptions;
  contentSha256: string;
  sizeBytes: number;
  /** Ids (within their kinds) of the raw file and the normalized table in the object store. */
  rawFile: string;
  tableFile: string;
  /** An event that is committed in KV but not yet acknowledged by JetStream. */
  pendingEvent: 'ingested' | 'deleted' | null;
  /** Train a model once stored (dataset.ingested says so); absent on older records. */
  autoTrain?: boolean;
}

export type { StoredTable };

/** How the catalog announces changes; src/events.ts publishes them on NATS. */
export interface DatasetAnnouncer {
  ingested(record: DatasetRecord, scope: RequestScope): Promise<void>;
  deleted(record: DatasetRecord, scope: RequestScope): Promise<void>;
}

export interface IngestRequest extends IngestOptions {
  content: string;
  /** Long formats: wide rows (date, KPI, controls) in the same format family. */
  series?: string | null;
  name?: string | null;
  /** Ask modeling to train once stored; not part of what the dataset is (nor its id). */
  autoTrain?: boolean;
}

export interface IngestOutcome {
  dataset: DatasetRecord;
  /** False when the same content was already stored (nothing new written or announced). */
  created: boolean;
}

/** Dataset metadata kept in memory by a KV watch (the platform's watchKvIndex). */
export type DatasetIndex = Pick<KvIndex<DatasetRecord>, 'list' | 'note' | 'documents'>;

export interface CatalogDeps {
  stores(workspaceId: string): WorkspaceStores;
  announcer: DatasetAnnouncer;
  /** Answers `list` from memory when given. */
  index?: DatasetIndex;
  logger?: Logger;
  now?: () => Date;
  /** Tables read back are immutable; this many stay in memory. */
  tableCacheSize?: number;
}

export type DatasetCatalog = ReturnType<typeof createDatasetCatalog>;

/** The issues of a failed validation as the platform's error (BAD_USER_INPUT). */
export class DatasetValidationError extends ValidationError {
  constructor(
    readonly datasetIssues: Issue[],
    readonly issueCount: number,
  ) {
    super(
      datasetIssues.map((i) => ({
        field: i.field,
        message: i.message,
        ...(i.row === null ? {} : { row: i.row }),
        ...(i.column === null ? {} : { column: i.column }),
      })),
      issueCount === 1
        ? datasetIssues[0].message
        : `The dataset has ${issueCount} problems` +
            (issueCount > datasetIssues.length
              ? `; the first ${datasetIssues.length} are listed in extensions.issues`
              : '; each is listed in extensions.issues') +
            (datasetIssues.some((i) => i.row !== null) ? ` (${ROW_CONVENTION})` : '') +
            '.',
    );
    this.details.issueCount = issueCount;
  }
}

/** How rows are numbered in messages; said once in a message that lists many. */
export const ROW_CONVENTION =
  'row 1 is the first row after the header; "line" is the line of the file';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function isRevisionConflict(error: unknown): boolean {
  return error instanceof RevisionConflictError;
}

/**
 * Datasets of every workspace: validation, storage and announcement. The KV
 * metadata is the commit point: files are written first (under names unique to
 * the attempt, so a concurrent upload of the same file never touches them) and
 * removed again if the commit does not happen.
 */
export function createDatasetCatalog(deps: CatalogDeps) {
  const now = deps.now ?? (() => new Date());
  const cacheSize = deps.tableCacheSize ?? 32;
  const tables = new Map<string, StoredTable>();

  async function announce(
    stores: WorkspaceStores,
    entry: { value: DatasetRecord; revision: number },
    scope: RequestScope,
  ): Promise<DatasetRecord> {
    const record = entry.value;
    if (record.pendingEvent === null) return record;
    try {
      if (record.pendingEvent === 'ingested') await deps.announcer.ingested(record, scope);
      else await deps.announcer.deleted(record, scope);
    } catch (error) {
      // Committed but not announced: the record keeps pendingEvent and the change stands (the
      // caller gets it); the event relay (relay.ts) or the next request for the same dataset
      // announces it later, and JetStream drops a repeat by its Nats-Msg-Id.
      deps.logger?.error('could not announce dataset change; the relay will retry', {
        datasetId: record.id,
        workspaceId: record.workspaceId,
        event: record.pendingEvent,
        error: error instanceof Error ? error : String(error),
      });
      return record;
    }
    const done: DatasetRecord = { ...record, pendingEvent: null };
    try {
      const revision = await stores.metadata.put(KINDS.dataset, record.id, done, {
        expectRevision: entry.revision,
      });
      deps.index?.note(done.workspaceId, done.id, done, revision);
    } catch (error) {
      // Someone else changed it meanwhile; the event is out (and deduplicated), so no harm.
      if (!isRevisionConflict(error)) throw error;
    }
    return done;
  }

  async function ingest(scope: RequestScope, request: IngestRequest): Promise<IngestOutcome> {
    const { name, autoTrain, series, content: file, ...given } = request;
    const isLong = LONG_FORMATS.has(given.format);
    const options: IngestOptions = isLong
      ? { ...given, long: resolveLongOptions(given.long) }
      : { ...given, long: undefined };
    const prepared = isLong
      ? prepareLongDataset(file, series, options)
      : prepareDataset(file, options);
    if (!prepared.ok) throw new DatasetValidationError(prepared.issues, prepared.issueCount);

    // A long file with its KPI series is stored (and hashed) as one document holding both.
    const content = isLong && series ? JSON.stringify({ rows: file, series }) : file;
    const id = datasetId(content, options);
    const stores = deps.stores(scope.workspaceId);
    const existing = await stores.metadata.getEntry<DatasetRecord>(KINDS.dataset, id);
    if (existing?.value.status === 'ACTIVE') {
      return { dataset: await announce(stores, existing, scope), created: false };
    }

    const { table, ...described } = prepared.dataset;
    const attempt = `${id}-${randomBytes(6).toString('hex')}`;
    const raw = encoder.encode(content);
    const stored: StoredTable = { schemaVersion: 1, datasetId: id, ...table };
    const written: Array<[string, string]> = [];
    const cleanUp = async () => {
      for (const [kind, fileId] of written) {
        await stores.files.delete(kind, fileId).catch((error: unknown) => {
          deps.logger?.warn('could not remove file of a failed ingestion', {
            kind,
            fileId,
            error: String(error),
          });
        });
      }
    };

    const record: DatasetRecord = {
      schemaVersion: 1,
      id,
      workspaceId: scope.workspaceId,
      name: name?.trim() || id,
      status: 'ACTIVE',
      generation: (existing?.value.generation ?? 0) + 1,
      createdAt: now().toISOString(),
      deletedAt: null,
      format: options.format,
      options,
      contentSha256: contentHash(content),
      sizeBytes: raw.byteLength,
      ...described,
      rawFile: attempt,
      tableFile: attempt,
      pendingEvent: 'ingested',
      autoTrain: autoTrain ?? false,
    };

    let revision: number;
    try {
      written.push([KINDS.raw, attempt]);
      await stores.files.put(KINDS.raw, attempt, raw);
      written.push([KINDS.table, attempt]);
      await stores.files.put(KINDS.table, attempt, encoder.encode(JSON.stringify(stored)));
      revision = await stores.metadata.put(KINDS.dataset, id, record, {
        expectRevision: existing?.revision ?? 0,
      });
    } catch (error) {
      await cleanUp();
      if (!isRevisionConflict(error)) throw error;
      // A concurrent request committed this dataset first: its result is ours.
      const winner = await stores.metadata.getEntry<DatasetRecord>(KINDS.dataset, id);
      if (winner?.value.status !== 'ACTIVE') throw error;
      return { dataset: await announce(stores, winner, scope), created: false };
    }
    deps.index?.note(record.workspaceId, record.id, record, revision);
    tables.set(`${scope.workspaceId}/${attempt}`, stored);
    trimCache();
    deps.logger?.info('dataset stored', {
      datasetId: id,
      workspaceId: scope.workspaceId,
      periods: record.periodCount,
      generation: record.generation,
    });
    return { dataset: await announce(stores, { value: record, revision }, scope), created: true };
  }

  function trimCache() {
    while (tables.size > cacheSize) tables.delete(tables.keys().next().value as string);
  }

  async function get(scope: RequestScope, id: string): Promise<DatasetRecord | null> {
    const entry = await deps
      .stores(scope.workspaceId)
      .metadata.getEntry<DatasetRecord>(KINDS.dataset, id);
    return entry?.value.status === 'ACTIVE' ? entry.value : null;
  }

  async function list(scope: RequestScope): Promise<DatasetRecord[]> {
    const entries = deps.index
      ? await deps.index.list(scope.workspaceId)
      : await deps.stores(scope.workspaceId).metadata.list<DatasetRecord>(KINDS.dataset);
    return entries
      .map((entry) => entry.value)
      .filter((record) => record.status === 'ACTIVE')
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  /** The normalized table of a dataset (kept in memory once read: it never changes). */
  async function table(record: DatasetRecord): Promise<StoredTable> {
    const key = `${record.workspaceId}/${record.tableFile}`;
    const cached = tables.get(key);
    if (cached) return cached;
    const bytes = await deps.stores(record.workspaceId).files.get(KINDS.table, record.tableFile);
    if (bytes === null) {
      throw new Error(`table ${record.tableFile} of dataset ${record.id} is missing`);
    }
    const stored = JSON.parse(decoder.decode(bytes)) as StoredTable;
    tables.set(key, stored);
    trimCache();
    return stored;
  }

  /**
   * Marks the dataset deleted (the tombstone is the commit point), then removes
   * its files and announces it. False when there was nothing to delete.
   */
  async function remove(scope: RequestScope, id: string): Promise<boolean> {
    const stores = deps.stores(scope.workspaceId);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const entry = await stores.metadata.getEntry<DatasetRecord>(KINDS.dataset, id);
      if (entry === null) return false;
      if (entry.value.status === 'DELETED') {
        // A delete whose announcement failed earlier: finish it.
        await announce(stores, entry, scope);
        return false;
      }
      const tombstone: DatasetRecord = {
        ...entry.value,
        status: 'DELETED',
        deletedAt: now().toISOString(),
        pendingEvent: 'deleted',
      };
      let revision: number;
      try {
        revision = await stores.metadata.put(KINDS.dataset, id, tombstone, {
          expectRevision: entry.revision,
        });
      } catch (error) {
        if (isRevisionConflict(error)) continue;
        throw error;
      }
      deps.index?.note(tombstone.workspaceId, tombstone.id, tombstone, revision);
      const record = entry.value;
      tables.delete(`${scope.workspaceId}/${record.tableFile}`);
      for (const [kind, fileId] of [
        [KINDS.raw, record.rawFile],
        [KINDS.table, record.tableFile],
      ]) {
        await stores.files.delete(kind, fileId).catch((error: unknown) => {
          deps.logger?.warn('could not remove file of a deleted dataset', {
            kind,
            fileId,
            error: String(error),
          });
        });
      }
      await announce(stores, { value: tombstone, revision }, scope);
      deps.logger?.info('dataset deleted', { datasetId: id, workspaceId: scope.workspaceId });
      return true;
    }
    throw new Error(`dataset ${id} kept changing while being deleted`);
  }

  /**
   * Announces a change that is committed but was never acknowledged by JetStream (the record
   * still has pendingEvent), reading the record afresh. True when it is announced now or was
   * meanwhile; false when publishing failed again.
   */
  async function announcePending(record: DatasetRecord): Promise<boolean> {
    const stores = deps.stores(record.workspaceId);
    const entry = await stores.metadata.getEntry<DatasetRecord>(KINDS.dataset, record.id);
    if (entry === null || entry.value.pendingEvent === null) return true;
    const after = await announce(stores, entry, { workspaceId: record.workspaceId });
    return after.pendingEvent === null;
  }

  return { ingest, get, list, table, delete: remove, announcePending };
}
