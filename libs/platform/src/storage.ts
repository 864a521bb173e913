import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import { ValidationError } from './errors';
import type { KvBucketName } from './nats';

// Every key starts with the workspace, so that access control and listing by
// workspace are a prefix match: `<workspace>.<kind>.<id>`.

const PART = /^[-/_=a-zA-Z0-9]+$/;

export class StorageKeyError extends Error {
  override readonly name = 'StorageKeyError';
}

function checkPart(label: string, value: string) {
  // Dots separate the parts, so no part may contain one.
  if (!PART.test(value)) {
    throw new StorageKeyError(
      `${label} ${JSON.stringify(value)} may only contain letters, digits and - / _ =`,
    );
  }
}

const ID_ARGUMENT = /^[-_=a-zA-Z0-9]{1,128}$/;

/** True when `id` could name a stored document: 1-128 of [-_=a-zA-Z0-9] (no dots). */
export function isStorageId(id: string): boolean {
  return ID_ARGUMENT.test(id);
}

/**
 * Checks an id argument of a query: ids are parts of storage keys, so anything else cannot name
 * a stored thing. Throws BAD_USER_INPUT naming the field; returns the id.
 */
export function checkId(field: string, id: string): string {
  if (!isStorageId(id)) {
    throw new ValidationError([{ field, message: `${field} must be 1-128 of [-_=a-zA-Z0-9]` }]);
  }
  return id;
}

/** `<workspace>.<kind>.<id>`, each part checked against the KV key alphabet. */
export function scopedKey(workspaceId: string, kind: string, id: string): string {
  checkPart('workspace', workspaceId);
  checkPart('kind', kind);
  checkPart('id', id);
  return `${workspaceId}.${kind}.${id}`;
}

/** Splits a scoped key back into its parts. */
export function parseScopedKey(key: string): { workspaceId: string; kind: string; id: string } {
  const [workspaceId, kind, ...rest] = key.split('.');
  if (!workspaceId || !kind || rest.length !== 1) {
    throw new StorageKeyError(`${JSON.stringify(key)} is not a <workspace>.<kind>.<id> key`);
  }
  return { workspaceId, kind, id: rest[0] };
}

/**
 * A compare-and-set write lost: the entry is no longer at the expected revision (or exists,
 * for expectRevision 0). Told by JetStream's API error code, not by the message.
 */
export class RevisionConflictError extends Error {
  override readonly name = 'RevisionConflictError';
  constructor(
    readonly key: string,
    readonly expectedRevision: number,
    options?: ErrorOptions,
  ) {
    super(`${key} is no longer at revision ${expectedRevision}`, options);
  }
}

function isWrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

export interface PutOptions {
  /** Write only if the entry is still at this revision (0: only if absent). */
  expectRevision?: number;
}

/** JSON documents in one KV bucket, seen from one workspace. */
export interface ScopedKv {
  readonly workspaceId: string;
  /** Resolves with the new revision; a lost compare-and-set rejects with RevisionConflictError. */
  put<T>(kind: string, id: string, value: T, options?: PutOptions): Promise<number>;
  /** The document, or null when absent or deleted. */
  get<T>(kind: string, id: string): Promise<T | null>;
  /** The document with its revision, for compare-and-set updates. */
  getEntry<T>(kind: string, id: string): Promise<{ value: T; revision: number } | null>;
  delete(kind: string, id: string): Promise<void>;
  /** Ids of the documents of a kind in this workspace. */
  ids(kind: string): Promise<string[]>;
  /**
   * All documents of a kind in this workspace (ids order). Lists the keys on the server and reads
   * each: for lists on a request path, a KvIndex (watchKvIndex) answers from memory.
   */
  list<T>(kind: string): Promise<Array<{ id: string; value: T }>>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function scopedKv(kv: KV, workspaceId: string): ScopedKv {
  checkPart('workspace', workspaceId);
  const getEntry = async <T>(kind: string, id: string) => {
    const entry = await kv.get(scopedKey(workspaceId, kind, id));
    if (!entry || entry.operation !== 'PUT' || entry.length === 0) return null;
    return { value: JSON.parse(decoder.decode(entry.value)) as T, revision: entry.revision };
  };
  const ids = async (kind: string) => {
    checkPart('kind', kind);
    const found: string[] = [];
    const keys = await kv.keys(`${workspaceId}.${kind}.*`);
    for await (const key of keys) found.push(parseScopedKey(key).id);
    return found.sort();
  };
  return {
    workspaceId,
    async put(kind, id, value, options = {}) {
      const key = scopedKey(workspaceId, kind, id);
      const data = encoder.encode(JSON.stringify(value));
      const expected = options.expectRevision;
      if (expected === undefined) return kv.put(key, data);
      try {
        return expected === 0 ? await kv.create(key, data) : await kv.update(key, data, expected);
      } catch (error) {
        if (isWrongLastSequence(error)) {
          throw new RevisionConflictError(key, expected, { cause: error });
        }
        throw error;
      }
    },
    async get<T>(kind: string, id: string) {
      return (await getEntry<T>(kind, id))?.value ?? null;
    },
    getEntry,
    async delete(kind, id) {
      await kv.delete(scopedKey(workspaceId, kind, id));
    },
    ids,
    async list<T>(kind: string) {
      const keys = await ids(kind);
      const entries = await Promise.all(keys.map((id) => getEntry<T>(kind, id)));
      const out: Array<{ id: string; value: T }> = [];
      entries.forEach((entry, i) => {
        if (entry) out.push({ id: keys[i], value: entry.value });
      });
      return out;
    },
  };
}

/** Files in the object store, seen from one workspace. */
export interface ScopedFiles {
  readonly workspaceId: string;
  put(
    kind: string,
    id: string,
    data: Uint8Array,
    meta?: { description?: string },
  ): Promise<{ name: string; size: number; digest: string }>;
  /**
   * Writes a file from chunks as they come, so that a large file is never one buffer (the
   * object store cuts it into its own chunks).
   */
  putChunks(
    kind: string,
    id: string,
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    meta?: { description?: string },
  ): Promise<{ name: string; size: number; digest: string }>;
  /** The bytes, or null when absent or deleted. */
  get(kind: string, id: string): Promise<Uint8Array | null>;
  delete(kind: string, id: string): Promise<boolean>;
  /** The object name used for a file (for events that point at it). */
  name(kind: string, id: string): string;
}

export function scopedFiles(files: ObjectStore, workspaceId: string): ScopedFiles {
  checkPart('workspace', workspaceId);
  return {
    workspaceId,
    name: (kind, id) => scopedKey(workspaceId, kind, id),
    async put(kind, id, data, meta = {}) {
      const name = scopedKey(workspaceId, kind, id);
      const info = await files.putBlob({ name, description: meta.description }, data);
      return { name, size: info.size, digest: info.digest };
    },
    async putChunks(kind, id, chunks, meta = {}) {
      const name = scopedKey(workspaceId, kind, id);
      const iterator =
        Symbol.asyncIterator in chunks
          ? chunks[Symbol.asyncIterator]()
          : (chunks as Iterable<Uint8Array>)[Symbol.iterator]();
      // Pulled one chunk at a time: the store asks for the next when it has sent the last.
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await iterator.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        },
      });
      const info = await files.put({ name, description: meta.description }, stream);
      return { name, size: info.size, digest: info.digest };
    },
    async get(kind, id) {
      return files.getBlob(scopedKey(workspaceId, kind, id));
    },
    async delete(kind, id) {
      const name = scopedKey(workspaceId, kind, id);
      const info = await files.info(name);
      if (!info || info.deleted) return false;
      await files.delete(name);
      return true;
    },
  };
}

export interface Storage {
  kv: Record<KvBucketName, KV>;
  files: ObjectStore;
}

/** Everything a request may touch, bound to its workspace. */
export function workspaceStorage(storage: Storage, workspaceId: string) {
  const kv = {} as Record<KvBucketName, ScopedKv>;
  for (const [bucket, handle] of Object.entries(storage.kv) as Array<[KvBucketName, KV]>) {
    kv[bucket] = scopedKv(handle, workspaceId);
  }
  return { workspaceId, kv, files: scopedFiles(storage.files, workspaceId) };
}
export type WorkspaceStorage = ReturnType<typeof workspaceStorage>;
