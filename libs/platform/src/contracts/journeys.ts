import type { WorkspaceStorage } from '../storage';

// User journeys as other services read them: the journey table in the object store (a compact
// columnar binary, below) and the part of the catalog record in KV they rely on. Ingestion writes
// both (ingestJourneys); attribution reads them through this module only. Journey datasets have
// KV and object kinds of their own, so the dataset contract (readDataset) never sees one and a
// table reader never mistakes one for a media mix table.

/** Kinds of journey datasets' KV documents and stored files (`<workspace>.<kind>.<id>`). */
export const JOURNEY_KINDS = {
  /** KV (mmm_datasets): the journey dataset's record. */
  dataset: 'journeys',
  /** Object store: the file as sent. */
  raw: 'journeys-raw',
  /** Object store: the journey table (encodeJourneyTable). */
  table: 'journeys-table',
} as const;

/** Journey dataset ids: `jd_` and 20 hex digits (media mix datasets are `ds_…`). */
export const JOURNEY_DATASET_ID = /^jd_[0-9a-f]{20}$/;

/**
 * The journey table, in columns; the same fields, in the same layout, as @mmm/core's
 * JourneyTable, so it goes to the attribution methods as it is. Journey j owns touchpoints
 * `[offsets[j], offsets[j + 1])`, sorted by time.
 */
export interface JourneyColumns {
  /** Channel names, sorted (code-unit order); touchpoints refer to them by index. */
  channels: string[];
  /** Journey ids, in the order of their first row in the file. */
  journeyIds: string[];
  /** Length journeys + 1, from 0 to the touchpoint count, never decreasing. */
  offsets: Uint32Array;
  /** Per touchpoint: epoch milliseconds (UTC), ascending within a journey. */
  timestamps: Float64Array;
  /** Per touchpoint: index into `channels`. */
  channelIndex: Uint32Array;
  /** Per touchpoint: its cost, when the file had a cost column; else null. */
  cost: Float64Array | null;
  /** Per journey: 1 if it converted after its last touchpoint, else 0. */
  converted: Uint8Array;
  /** Per journey: the conversion's value (0 for a journey that did not convert). */
  conversionValue: Float64Array;
}

/** The journey table as stored: its columns and the dataset it belongs to. */
export interface StoredJourneyTable extends JourneyColumns {
  schemaVersion: 1;
  datasetId: string;
}

/** A channel of a journey dataset, counted. */
export interface JourneyChannelSummary {
  name: string;
  touchpoints: number;
  /** Journeys with at least one touchpoint on the channel. */
  journeys: number;
  /** Of those, the journeys that converted. */
  conversions: number;
}

/** The fields of a journey dataset's catalog record (KV, kind 'journeys') that readers rely on. */
export interface JourneyDatasetDescriptor {
  schemaVersion: 1;
  id: string;
  workspaceId: string;
  name: string;
  status: 'ACTIVE' | 'DELETED';
  journeys: number;
  touchpoints: number;
  /** Journeys that converted. */
  conversions: number;
  /** Their total conversion value. */
  value: number;
  /** Sorted by name, as in the table. */
  channels: JourneyChannelSummary[];
  /** The first and last touchpoint, ISO-8601 UTC. */
  firstTouchpointAt: string;
  lastTouchpointAt: string;
  /** Their UTC days, YYYY-MM-DD. */
  startDate: string;
  endDate: string;
  /** Total cost of the touchpoints, when the file had a cost column; else null. */
  cost: number | null;
  /** SHA-256 of the raw file, hex. */
  contentSha256: string;
  /** Id (within kind 'journeys-table') of the journey table in the object store. */
  tableFile: string;
}

/** A stored journey dataset that does not have the contract's shape (names where and what). */
export class JourneyContractError extends Error {
  override readonly name = 'JourneyContractError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`stored journey dataset does not follow the contract: ${path}: ${problem}`);
  }
}

function fail(path: string, problem: string): never {
  throw new JourneyContractError(path, problem);
}

// The stored table, little-endian:
//   0   'MMJT'
//   4   u32 format version (1)
//   8   u32 byte length H of the header, UTF-8 JSON:
//       { schemaVersion, datasetId, journeys, touchpoints, channels, hasCost, idChars }
//   12  the header, then zeros up to a multiple of 8
//   then, each section starting at a multiple of 8:
//       timestamps f64[T], cost f64[T] (when hasCost), conversionValue f64[J],
//       offsets u32[J + 1], channelIndex u32[T], idLengths u32[J] (UTF-16 code units),
//       converted u8[J], the journey ids concatenated (UTF-8, idChars code units in all).
// Typed arrays in native order; the format is little-endian, so big-endian hosts are refused.

const MAGIC = [0x4d, 0x4d, 0x4a, 0x54]; // MMJT
const FORMAT_VERSION = 1;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkHost(): void {
  if (!LITTLE_ENDIAN) {
    throw new Error('the journey table format is little-endian; this host is big-endian');
  }
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

interface Layout {
  journeys: number;
  touchpoints: number;
  hasCost: boolean;
  idBytes: number;
}

/** Byte offsets of each section after the header, and the total length. */
function sections(start: number, l: Layout) {
  let at = align8(start);
  const take = (bytes: number) => {
    const here = at;
    at = align8(at + bytes);
    return here;
  };
  const timestamps = take(8 * l.touchpoints);
  const cost = l.hasCost ? take(8 * l.touchpoints) : -1;
  const conversionValue = take(8 * l.journeys);
  const offsets = take(4 * (l.journeys + 1));
  const channelIndex = take(4 * l.touchpoints);
  const idLengths = take(4 * l.journeys);
  const converted = take(l.journeys);
  const ids = at;
  return {
    timestamps,
    cost,
    conversionValue,
    offsets,
    channelIndex,
    idLengths,
    converted,
    ids,
    end: ids + l.idBytes,
  };
}

/** The stored form of a journey table (see the layout above); about 17 bytes a touchpoint. */
export function encodeJourneyTable(table: StoredJourneyTable): Uint8Array {
  checkHost();
  const journeys = table.journeyIds.length;
  const touchpoints = table.timestamps.length;
  const encoder = new TextEncoder();
  const allIds = table.journeyIds.join('');
  const idBytes = encoder.encode(allIds);
  const header = encoder.encode(
    JSON.stringify({
      schemaVersion: 1,
      datasetId: table.datasetId,
      journeys,
      touchpoints,
      channels: table.channels,
      hasCost: table.cost !== null,
      idChars: allIds.length,
    }),
  );
  const at = sections(12 + header.length, {
    journeys,
    touchpoints,
    hasCost: table.cost !== null,
    idBytes: idBytes.length,
  });
  const out = new Uint8Array(at.end);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, header.length, true);
  out.set(header, 12);
  const put = (offset: number, array: ArrayBufferView) =>
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
  put(at.timestamps, table.timestamps);
  if (table.cost !== null) put(at.cost, table.cost);
  put(at.conversionValue, table.conversionValue);
  put(at.offsets, table.offsets);
  put(at.channelIndex, table.channelIndex);
  put(
    at.idLengths,
    Uint32Array.from(table.journeyIds, (id) => id.length),
  );
  put(at.converted, table.converted);
  out.set(idBytes, at.ids);
  return out;
}

/** A typed array over `bytes` (a copy only when the section is not aligned for its type). */
function section<T extends Float64Array | Uint32Array | Uint8Array>(
  Type: {
    new (buffer: ArrayBufferLike, offset: number, length: number): T;
    BYTES_PER_ELEMENT: number;
  },
  bytes: Uint8Array,
  offset: number,
  length: number,
): T {
  const at = bytes.byteOffset + offset;
  if (at % Type.BYTES_PER_ELEMENT === 0) return new Type(bytes.buffer, at, length);
  // A copy into a buffer of its own (Buffer#slice, unlike Uint8Array#slice, would be a view).
  const copy = new Uint8Array(length * Type.BYTES_PER_ELEMENT);
  copy.set(bytes.subarray(offset, offset + copy.length));
  return new Type(copy.buffer, 0, length);
}

function nonNegativeInteger(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    fail(path, 'expected an integer of 0 or more');
  }
  return v;
}

/**
 * Reads a stored journey table and checks it: its layout, offsets from 0 to the touchpoint count
 * that never decrease, channel indexes in range, finite timestamps in time order within each
 * journey, outcomes 0 or 1, finite non-negative values and costs, no value on a journey that did
 * not convert. The columns are views over `bytes` where alignment allows.
 */
export function parseJourneyTable(bytes: Uint8Array): StoredJourneyTable {
  checkHost();
  if (bytes.length < 12 || MAGIC.some((b, k) => bytes[k] !== b)) {
    fail('(root)', 'not a journey table (no MMJT mark)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) fail('(version)', `expected ${FORMAT_VERSION}, got ${version}`);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length) fail('(header)', 'longer than the table');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as Record<
      string,
      unknown
    >;
  } catch {
    fail('(header)', 'not JSON');
  }
  if (typeof header !== 'object' || header === null) fail('(header)', 'expected an object');
  if (header.schemaVersion !== 1) fail('schemaVersion', 'expected 1');
  if (typeof header.datasetId !== 'string') fail('datasetId', 'expected a string');
  const journeys = nonNegativeInteger(header.journeys, 'journeys');
  const touchpoints = nonNegativeInteger(header.touchpoints, 'touchpoints');
  const idChars = nonNegativeInteger(header.idChars, 'idChars');
  if (typeof header.hasCost !== 'boolean') fail('hasCost', 'expected a boolean');
  const hasCost = header.hasCost;
  if (!Array.isArray(header.channels)) fail('channels', 'expected an array');
  const channels = header.channels.map((c, k) => {
    if (typeof c !== 'string' || c === '') fail(`channels[${k}]`, 'expected a channel name');
    return c;
  });
  const at = sections(12 + headerLength, { journeys, touchpoints, hasCost, idBytes: 0 });
  if (at.ids > bytes.length) {
    fail('(root)', `expected at least ${at.ids} bytes for its columns, got ${bytes.length}`);
  }
  const timestamps = section(Float64Array, bytes, at.timestamps, touchpoints);
  const cost = hasCost ? section(Float64Array, bytes, at.cost, touchpoints) : null;
  const conversionValue = section(Float64Array, bytes, at.conversionValue, journeys);
  const offsets = section(Uint32Array, bytes, at.offsets, journeys + 1);
  const channelIndex = section(Uint32Array, bytes, at.channelIndex, touchpoints);
  const idLengths = section(Uint32Array, bytes, at.idLengths, journeys);
  const converted = section(Uint8Array, bytes, at.converted, journeys);

  if (offsets[0] !== 0) fail('offsets[0]', `expected 0, got ${offsets[0]}`);
  if (offsets[journeys] !== touchpoints) {
    fail(
      `offsets[${journeys}]`,
      `expected the touchpoint count ${touchpoints}, got ${offsets[journeys]}`,
    );
  }
  for (let j = 0; j < journeys; j++) {
    if (offsets[j + 1] < offsets[j]) {
      fail(`offsets[${j + 1}]`, `${offsets[j + 1]} is below offsets[${j}] = ${offsets[j]}`);
    }
  }
  for (let j = 0; j < journeys; j++) {
    const from = offsets[j];
    const to = offsets[j + 1];
    if (converted[j] > 1) fail(`converted[${j}]`, `expected 0 or 1, got ${converted[j]}`);
    const v = conversionValue[j];
    if (!Number.isFinite(v) || v < 0)
      fail(`conversionValue[${j}]`, `expected a finite number >= 0, got ${v}`);
    if (converted[j] === 0 && v !== 0)
      fail(`conversionValue[${j}]`, 'a journey that did not convert has a value');
    if (converted[j] === 1 && to === from)
      fail(`offsets[${j}]`, 'a converting journey has no touchpoint');
    for (let t = from; t < to; t++) {
      if (!Number.isFinite(timestamps[t])) fail(`timestamps[${t}]`, 'expected a finite number');
      if (t > from && timestamps[t] < timestamps[t - 1]) {
        fail(`timestamps[${t}]`, `journey ${j}'s touchpoints are not in time order`);
      }
    }
  }
  for (let t = 0; t < touchpoints; t++) {
    if (channelIndex[t] >= channels.length) {
      fail(
        `channelIndex[${t}]`,
        `${channelIndex[t]} is not one of the ${channels.length} channels`,
      );
    }
    if (cost !== null && !(Number.isFinite(cost[t]) && cost[t] >= 0)) {
      fail(`cost[${t}]`, `expected a finite number >= 0, got ${cost[t]}`);
    }
  }
  const ids = new TextDecoder().decode(bytes.subarray(at.ids));
  if (ids.length !== idChars)
    fail('journeyIds', `expected ${idChars} characters, got ${ids.length}`);
  const journeyIds = new Array<string>(journeys);
  let pos = 0;
  for (let j = 0; j < journeys; j++) {
    const next = pos + idLengths[j];
    if (next > ids.length) fail(`journeyIds[${j}]`, 'runs past the end of the ids');
    journeyIds[j] = ids.slice(pos, next);
    pos = next;
  }
  if (pos !== ids.length) fail('journeyIds', 'the lengths do not add up to the ids');
  return {
    schemaVersion: 1,
    datasetId: header.datasetId,
    channels,
    journeyIds,
    offsets,
    timestamps,
    channelIndex,
    cost,
    converted,
    conversionValue,
  };
}

type Json = unknown;

function record(v: Json, path: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
  return v as Record<string, Json>;
}

function text(v: Json, path: string): string {
  if (typeof v !== 'string') fail(path, 'expected a string');
  return v;
}

function count(v: Json, path: string): number {
  return nonNegativeInteger(v, path);
}

function amount(v: Json, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    fail(path, 'expected a finite number >= 0');
  }
  return v;
}

/** Reads the contract's fields of a journey dataset's record (other fields are left out). */
export function parseJourneyDatasetDescriptor(value: Json): JourneyDatasetDescriptor {
  const root = record(value, '(record)');
  if (root.schemaVersion !== 1) fail('schemaVersion', 'expected 1');
  const status = root.status;
  if (status !== 'ACTIVE' && status !== 'DELETED') fail('status', 'expected ACTIVE or DELETED');
  if (!Array.isArray(root.channels)) fail('channels', 'expected an array');
  return {
    schemaVersion: 1,
    id: text(root.id, 'id'),
    workspaceId: text(root.workspaceId, 'workspaceId'),
    name: text(root.name, 'name'),
    status,
    journeys: count(root.journeys, 'journeys'),
    touchpoints: count(root.touchpoints, 'touchpoints'),
    conversions: count(root.conversions, 'conversions'),
    value: amount(root.value, 'value'),
    channels: root.channels.map((c, i) => {
      const channel = record(c, `channels[${i}]`);
      return {
        name: text(channel.name, `channels[${i}].name`),
        touchpoints: count(channel.touchpoints, `channels[${i}].touchpoints`),
        journeys: count(channel.journeys, `channels[${i}].journeys`),
        conversions: count(channel.conversions, `channels[${i}].conversions`),
      };
    }),
    firstTouchpointAt: text(root.firstTouchpointAt, 'firstTouchpointAt'),
    lastTouchpointAt: text(root.lastTouchpointAt, 'lastTouchpointAt'),
    startDate: text(root.startDate, 'startDate'),
    endDate: text(root.endDate, 'endDate'),
    cost: root.cost === null || root.cost === undefined ? null : amount(root.cost, 'cost'),
    contentSha256: text(root.contentSha256, 'contentSha256'),
    tableFile: text(root.tableFile, 'tableFile'),
  };
}

type JourneyStorage = Pick<WorkspaceStorage, 'kv' | 'files'>;

/** The active journey dataset of a workspace, or null when it is absent or deleted. */
export async function readJourneyDataset(
  storage: JourneyStorage,
  id: string,
): Promise<JourneyDatasetDescriptor | null> {
  const value = await storage.kv.datasets.get<unknown>(JOURNEY_KINDS.dataset, id);
  if (value === null) return null;
  const descriptor = parseJourneyDatasetDescriptor(value);
  return descriptor.status === 'ACTIVE' ? descriptor : null;
}

/** The journey table of a dataset; JourneyContractError when it is missing or malformed. */
export async function readJourneyTable(
  storage: Pick<WorkspaceStorage, 'files'>,
  dataset: Pick<JourneyDatasetDescriptor, 'id' | 'tableFile'>,
): Promise<StoredJourneyTable> {
  const bytes = await storage.files.get(JOURNEY_KINDS.table, dataset.tableFile);
  if (bytes === null) {
    fail(`table ${dataset.tableFile}`, `the table of journey dataset ${dataset.id} is missing`);
  }
  const table = parseJourneyTable(bytes);
  if (table.datasetId !== dataset.id) {
    fail('datasetId', `the table belongs to ${table.datasetId}, not ${dataset.id}`);
  }
  return table;
}

/** A journey dataset and its table, or null when the dataset is absent or deleted. */
export async function readJourneys(
  storage: JourneyStorage,
  id: string,
): Promise<{ dataset: JourneyDatasetDescriptor; table: StoredJourneyTable } | null> {
  const dataset = await readJourneyDataset(storage, id);
  if (dataset === null) return null;
  const table = await readJourneyTable(storage, dataset);
  if (
    table.journeyIds.length !== dataset.journeys ||
    table.timestamps.length !== dataset.touchpoints
  ) {
    fail(
      'journeys',
      `the record counts ${dataset.journeys} journeys and ${dataset.touchpoints} touchpoints, the table ${table.journeyIds.length} and ${table.timestamps.length}`,
    );
  }
  return { dataset, table };
}
