import type { KvIndex, ScopedKv } from '@mmm/platform';
import type { ChannelMatch, UsedPeriod } from './mmm-column';

// Attribution runs as stored in KV (bucket mmm_attributions, kind 'attribution'), keyed
// `<workspace>.attribution.<id>`: the comparison table of one run, with what it was run on.

export const ATTRIBUTION_KIND = 'attribution';

/** The journey methods, as the schema names them; MMM is the model's column. */
export const JOURNEY_METHODS = [
  'LAST_TOUCH',
  'FIRST_TOUCH',
  'LINEAR',
  'TIME_DECAY',
  'POSITION_BASED',
  'MARKOV',
  'SHAPLEY',
] as const;

export type JourneyMethod = (typeof JOURNEY_METHODS)[number];
export type AttributionMethod = JourneyMethod | 'MMM';

/** A column of the comparison: a method's credit per channel (aligned with the table's channels). */
export interface AttributionColumn {
  method: AttributionMethod;
  /** JOURNEYS for the journey methods, MODEL for the MMM column. */
  source: 'JOURNEYS' | 'MODEL';
  /** What the column credits: BOTH (conversions and value), or the model KPI's unit. */
  unit: 'BOTH' | 'CONVERSIONS' | 'VALUE';
  /** Null where the column has no figure (a channel the model does not have; the other unit). */
  conversions: Array<number | null>;
  value: Array<number | null>;
  /** The channel's share of the column's total credit. */
  share: Array<number | null>;
}

export interface AttributionSettingsRecord {
  windowDays: number | null;
  halfLifeDays: number;
  firstWeight: number;
  lastWeight: number;
  nonConverting: 'INCLUDE' | 'EXCLUDE';
  markovOrder: number;
  shapleyWorth: 'CONVERSION_RATE' | 'CONVERSIONS';
}

/** Where the MMM column came from. */
export interface MmmColumnRecord {
  modelId: string;
  kpiName: string;
  kpiType: 'REVENUE' | 'CONVERSIONS';
  unit: 'CONVERSIONS' | 'VALUE';
  /** The journeys' first and last day (UTC), the range the model's periods were matched to. */
  from: string;
  to: string;
  periods: UsedPeriod[];
  matches: ChannelMatch[];
}

export interface AttributionRecord {
  schemaVersion: 1;
  id: string;
  workspaceId: string;
  /** The journey dataset. */
  datasetId: string;
  modelId: string | null;
  /** Columns in order: the journey methods asked for, then MMM when a model was given. */
  methods: AttributionMethod[];
  settings: AttributionSettingsRecord;
  totals: {
    journeys: number;
    /** Touchpoints inside the lookback window. */
    touchpoints: number;
    conversions: number;
    value: number;
  };
  /** Rows: the journeys' channels, then those only the model names. */
  channels: string[];
  columns: AttributionColumn[];
  mmm: MmmColumnRecord | null;
  markov: { order: number; states: number; conversionProbability: number } | null;
  shapley: {
    worth: 'CONVERSION_RATE' | 'CONVERSIONS';
    exact: boolean;
    players: number;
    samples: number | null;
  } | null;
  /** ISO-8601. */
  createdAt: string;
  /** attribution.completed is committed here but not yet acknowledged by JetStream. */
  pendingEvent: boolean;
}

export type AttributionIndex = Pick<KvIndex<AttributionRecord>, 'list' | 'note'>;

/** Runs of one workspace: read by id, listed by dataset (from memory), written once. */
export interface AttributionBook {
  get(id: string): Promise<AttributionRecord | null>;
  getEntry(id: string): Promise<{ value: AttributionRecord; revision: number } | null>;
  /** Newest first. */
  list(datasetId: string): Promise<AttributionRecord[]>;
  /** Resolves with the revision; RevisionConflictError when the expected revision is not there. */
  put(record: AttributionRecord, expectRevision: number): Promise<number>;
}

export function createAttributionBook(
  attributions: ScopedKv,
  index?: AttributionIndex,
): AttributionBook {
  return {
    get: (id) => attributions.get<AttributionRecord>(ATTRIBUTION_KIND, id),
    getEntry: (id) => attributions.getEntry<AttributionRecord>(ATTRIBUTION_KIND, id),
    async list(datasetId) {
      const entries = index
        ? await index.list(attributions.workspaceId)
        : await attributions.list<AttributionRecord>(ATTRIBUTION_KIND);
      return entries
        .map((e) => e.value)
        .filter((r) => r.datasetId === datasetId)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
    },
    async put(record, expectRevision) {
      const revision = await attributions.put(ATTRIBUTION_KIND, record.id, record, {
        expectRevision,
      });
      index?.note(record.workspaceId, record.id, record, revision);
      return revision;
    },
  };
}
