import { createHash } from 'node:crypto';
import {
  CANONICAL_JOURNEY_COLUMNS,
  createJourneyParser,
  type JourneyField,
  type JourneyIssue,
  type JourneyTable,
} from '@mmm/core';
import type { JourneyChannelSummary } from '@mmm/platform';
import { canonicalJson } from './identity';
import { IssueList } from './issues';
import type { Issue, SourceFormat } from './types';

// Journey files in: the core's one journey parser (createJourneyParser) fed the text in slices,
// its issues turned into the service's (row, column, field), and the figures a journey dataset
// is listed with. Nothing here holds a second copy of the file.

/** The file's name for each journey field where it differs from the canonical one. */
export type JourneyColumnMapping = Partial<Record<JourneyField, string>>;

/** Everything that, with the file's bytes, decides what a journey dataset is (and so its id). */
export interface JourneyIngestOptions {
  format: SourceFormat;
  columns: JourneyColumnMapping;
}

export const JOURNEY_FIELDS = Object.keys(CANONICAL_JOURNEY_COLUMNS) as JourneyField[];

/** Slices of the text the parser and the hashes are fed: small enough to cost nothing. */
export const TEXT_SLICE = 1 << 20;

/**
 * The text in slices of about `size` code units. A slice never ends between the two halves of a
 * surrogate pair, so the UTF-8 of the slices, one after the other, is the UTF-8 of the whole.
 * V8 slices share the parent string's memory: no copy of the file is made.
 */
export function* textSlices(text: string, size = TEXT_SLICE): Generator<string> {
  let at = 0;
  while (at < text.length) {
    let end = Math.min(text.length, at + size);
    const last = text.charCodeAt(end - 1);
    // Keep the pair together: before it, or (a slice of one code unit) with it whole.
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end += end - 1 > at ? -1 : 1;
    yield text.slice(at, end);
    at = end;
  }
}

/** The mapping with every field named (the canonical names where not given), cost as asked. */
export function resolvedColumns(columns: JourneyColumnMapping): Record<JourneyField, string> & {
  /** True when the mapping names a cost column (then it is required). */
  costRequired: boolean;
} {
  const out = { ...CANONICAL_JOURNEY_COLUMNS, costRequired: columns.cost !== undefined };
  for (const field of JOURNEY_FIELDS) {
    const name = columns[field];
    if (name !== undefined) out[field] = name.trim();
  }
  return out;
}

/** Problems of the mapping itself (an empty name, one column named for two fields). */
export function checkJourneyColumns(columns: JourneyColumnMapping): Issue[] {
  const issues: Issue[] = [];
  for (const field of Object.keys(columns)) {
    if (!(JOURNEY_FIELDS as string[]).includes(field)) {
      issues.push({
        row: null,
        column: null,
        field: `columns.${field}`,
        message: `columns.${field} is not a journey field (${JOURNEY_FIELDS.join(', ')}).`,
      });
    }
  }
  const resolved = resolvedColumns(columns);
  const owner = new Map<string, JourneyField>();
  for (const field of JOURNEY_FIELDS) {
    const given = columns[field];
    if (given !== undefined && given.trim() === '') {
      issues.push({
        row: null,
        column: null,
        field: `columns.${field}`,
        message: `columns.${field} must name a column of the file.`,
      });
      continue;
    }
    if (field === 'cost' && !resolved.costRequired) continue;
    const name = resolved[field];
    const other = owner.get(name);
    if (other !== undefined) {
      issues.push({
        row: null,
        column: name,
        field: `columns.${field}`,
        message: `columns.${field} and columns.${other} both name column "${name}".`,
      });
    } else owner.set(name, field);
  }
  return issues;
}

/** The id's view of the options: every field named, so that spelling a default out is no change. */
export function canonicalJourneyOptions(options: JourneyIngestOptions): unknown {
  const resolved = resolvedColumns(options.columns);
  return {
    kind: 'journeys',
    format: options.format,
    columns: {
      journeyId: resolved.journeyId,
      timestamp: resolved.timestamp,
      channel: resolved.channel,
      converted: resolved.converted,
      conversionValue: resolved.conversionValue,
      // A named cost column is required; the default one is read only when present.
      cost: resolved.costRequired ? resolved.cost : null,
    },
  };
}

/** The figures a journey dataset is listed with (the platform contract's descriptor fields). */
export interface JourneySummary {
  journeys: number;
  touchpoints: number;
  conversions: number;
  value: number;
  channels: JourneyChannelSummary[];
  firstTouchpointAt: string;
  lastTouchpointAt: string;
  startDate: string;
  endDate: string;
  cost: number | null;
}

export function summarizeJourneys(table: JourneyTable): JourneySummary {
  const channels = table.channels.length;
  const touchpoints = new Float64Array(channels);
  const journeysOf = new Float64Array(channels);
  const conversionsOf = new Float64Array(channels);
  const lastSeen = new Int32Array(channels).fill(-1);
  let conversions = 0;
  let value = 0;
  let first = Infinity;
  let last = -Infinity;
  let cost = 0;
  const { offsets, channelIndex, timestamps, converted } = table;
  for (let j = 0; j < table.journeyIds.length; j++) {
    const won = converted[j] === 1;
    if (won) {
      conversions++;
      value += table.conversionValue[j];
    }
    for (let t = offsets[j]; t < offsets[j + 1]; t++) {
      const c = channelIndex[t];
      touchpoints[c]++;
      if (lastSeen[c] !== j) {
        lastSeen[c] = j;
        journeysOf[c]++;
        if (won) conversionsOf[c]++;
      }
      if (timestamps[t] < first) first = timestamps[t];
      if (timestamps[t] > last) last = timestamps[t];
      if (table.cost !== null) cost += table.cost[t];
    }
  }
  const at = (ms: number) => new Date(ms).toISOString();
  return {
    journeys: table.journeyIds.length,
    touchpoints: timestamps.length,
    conversions,
    value,
    channels: table.channels.map((name, c) => ({
      name,
      touchpoints: touchpoints[c],
      journeys: journeysOf[c],
      conversions: conversionsOf[c],
    })),
    firstTouchpointAt: at(first),
    lastTouchpointAt: at(last),
    startDate: at(first).slice(0, 10),
    endDate: at(last).slice(0, 10),
    cost: table.cost === null ? null : cost,
  };
}

/** Where a parser issue belongs: the mapping field of its column, else the content. */
function issueField(issue: JourneyIssue, columns: Record<JourneyField, string>): string {
  if (issue.code === 'malformed' || issue.code === 'empty_input' || issue.code === 'header') {
    return 'content';
  }
  const field = JOURNEY_FIELDS.find((f) => columns[f] === issue.column);
  return field === undefined ? 'content' : `columns.${field}`;
}

/** What a journey file is: its id and content hash, from one pass over its text in slices. */
export interface JourneyIdentity {
  /** `jd_` + 20 hex digits of SHA-256 of the bytes, a zero byte and the canonical options. */
  id: string;
  /** SHA-256 of the file's bytes, hex. */
  contentSha256: string;
  sizeBytes: number;
}

/**
 * The id of a journey file with its mapping (the same file and mapping, the same id), hashed
 * slice by slice: a file sent again is known without parsing it again.
 */
export function journeyIdentity(
  content: string,
  options: JourneyIngestOptions,
  sliceSize = TEXT_SLICE,
): JourneyIdentity {
  const content256 = createHash('sha256');
  const id256 = createHash('sha256');
  let sizeBytes = 0;
  for (const slice of textSlices(content, sliceSize)) {
    content256.update(slice, 'utf8');
    id256.update(slice, 'utf8');
    sizeBytes += Buffer.byteLength(slice, 'utf8');
  }
  id256.update(Buffer.from([0])).update(canonicalJson(canonicalJourneyOptions(options)), 'utf8');
  return {
    id: `jd_${id256.digest('hex').slice(0, 20)}`,
    contentSha256: content256.digest('hex'),
    sizeBytes,
  };
}

/** Problems found before reading the file: the mapping, an empty file. */
export function checkJourneyRequest(content: string, options: JourneyIngestOptions): Issue[] {
  const issues = checkJourneyColumns(options.columns);
  if (content.trim() === '') {
    issues.push({ row: null, column: null, field: 'content', message: 'The file is empty.' });
  }
  return issues;
}

export interface PreparedJourneys {
  table: JourneyTable;
  summary: JourneySummary;
  /** Data rows read. */
  rows: number;
}

export type PrepareJourneysResult =
  | { ok: true; journeys: PreparedJourneys }
  | { ok: false; issues: Issue[]; issueCount: number };

/**
 * Parses and checks a journey file, fed to the parser in slices (it keeps only columns of
 * numbers between them). Every problem is collected, with its row, column and field; there is
 * a table only when there is none.
 */
export function prepareJourneys(
  content: string,
  options: JourneyIngestOptions,
  sliceSize = TEXT_SLICE,
): PrepareJourneysResult {
  const list = new IssueList();
  for (const issue of checkJourneyRequest(content, options)) list.add(issue);
  if (!list.empty) return { ok: false, issues: list.listed, issueCount: list.total };

  const columns = resolvedColumns(options.columns);
  const parser = createJourneyParser({
    format: options.format === 'JSON' ? 'json' : 'csv',
    columns: {
      journeyId: columns.journeyId,
      timestamp: columns.timestamp,
      channel: columns.channel,
      converted: columns.converted,
      conversionValue: columns.conversionValue,
      ...(columns.costRequired ? { cost: columns.cost } : {}),
    },
  });
  for (const slice of textSlices(content, sliceSize)) parser.push(slice);
  const parsed = parser.finish();
  if (!parsed.ok) {
    for (const issue of parsed.issues) {
      list.add({
        row: issue.row,
        column: issue.column,
        field: issueField(issue, columns),
        message: issue.message,
      });
    }
    // The parser lists the first 100 and counts the rest.
    return { ok: false, issues: list.listed, issueCount: parsed.issueCount };
  }
  return {
    ok: true,
    journeys: { table: parsed.table, summary: summarizeJourneys(parsed.table), rows: parsed.rows },
  };
}
