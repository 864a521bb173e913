/**
 * The comparison table: channels x methods, each cell the credited conversions, value and
 * share, with columns supplied by the caller next to them (e.g. an MMM's contribution per
 * channel). The core does not know where such a column comes from; names are matched as given.
 */
import type { AttributionRun } from './attribute';

/** A column of credit per channel computed elsewhere (e.g. a media mix model's contribution). */
export interface ExternalCreditColumn {
  /** The column's name, e.g. 'mmm'. */
  name: string;
  /**
   * What the numbers are: credited conversions or value (a revenue KPI's contribution is
   * value, a conversions KPI's is conversions); the other measure is null in that column.
   */
  unit: 'conversions' | 'value';
  /** Credit per channel name; channels of the journeys missing here are null. */
  credit: Readonly<Record<string, number>>;
}

export interface ComparisonColumn {
  /** The method, or the external column's name. */
  name: string;
  source: 'journeys' | 'external';
  /** Per channel (aligned with ComparisonTable.channels); null where the column has no figure. */
  conversions: (number | null)[];
  value: (number | null)[];
  /** The channel's share of the column's total credit (conversions, or the external unit). */
  share: (number | null)[];
}

export interface ComparisonTable {
  /** The journeys' channels, then those only an external column names. */
  channels: string[];
  columns: ComparisonColumn[];
  /** Observed conversions and value, which every method's column adds up to. */
  totals: { conversions: number; value: number };
}

export function buildComparisonTable(
  run: AttributionRun,
  external: readonly ExternalCreditColumn[] = [],
): ComparisonTable {
  const channels = [...run.channels];
  const known = new Set(channels);
  for (const column of external) {
    for (const name of Object.keys(column.credit)) {
      if (!known.has(name)) {
        known.add(name);
        channels.push(name);
      }
    }
  }
  const journeyChannels = run.channels.length;
  const columns: ComparisonColumn[] = run.results.map((result) => {
    const total = run.totals.conversions;
    // A channel no journey touched gets no credit from any method: 0, not unknown.
    const pick = (values: Float64Array, c: number) => (c < journeyChannels ? values[c] : 0);
    return {
      name: result.method,
      source: 'journeys',
      conversions: channels.map((_, c) => pick(result.conversions, c)),
      value: channels.map((_, c) => pick(result.value, c)),
      share: channels.map((_, c) => (total > 0 ? pick(result.conversions, c) / total : 0)),
    };
  });
  for (const column of external) {
    const figures = channels.map((name) =>
      Object.prototype.hasOwnProperty.call(column.credit, name) ? column.credit[name] : null,
    );
    let total = 0;
    for (const v of figures) if (v !== null) total += v;
    const none = channels.map(() => null);
    columns.push({
      name: column.name,
      source: 'external',
      conversions: column.unit === 'conversions' ? figures : none,
      value: column.unit === 'value' ? figures : none,
      share: figures.map((v) => (v === null ? null : total !== 0 ? v / total : 0)),
    });
  }
  return {
    channels,
    columns,
    totals: { conversions: run.totals.conversions, value: run.totals.value },
  };
}
