import { decompose, formatIsoDay, parseIsoDay, type MediaMixModel } from '@mmm/core';
import { AttributionInputError } from './errors';

// The MMM column of a comparison: each model channel's contribution from the model's own
// decomposition, over the model periods that overlap the journeys' dates, put under the
// journeys' channel it stands for. Pure: a model and the journeys' dates in, a column out.

/** A model channel and the journeys' channel it stands for. */
export interface ChannelMapping {
  model: string;
  journey: string;
}

/** A model period counted in the column: the days of it inside the journeys' dates. */
export interface UsedPeriod {
  /** First day of the period, YYYY-MM-DD. */
  date: string;
  days: number;
  /** Days of the period inside the journeys' dates; the period counts by overlapDays / days. */
  overlapDays: number;
}

export interface ChannelMatch {
  model: string;
  /** The journeys' channel it is credited to; null when no journey touched such a channel. */
  journey: string | null;
  /** How: same name, the caller's mapping, or none (the channel keeps its model name). */
  by: 'NAME' | 'MAPPING' | 'NONE';
  /** The channel's contribution over the periods used, in the KPI's unit. */
  contribution: number;
}

export interface MmmColumn {
  /** conversions for a conversions KPI, value for revenue. */
  unit: 'conversions' | 'value';
  kpiName: string;
  kpiType: 'REVENUE' | 'CONVERSIONS';
  /** The journeys' first and last day (UTC), the range the periods were matched to. */
  from: string;
  to: string;
  periodDays: number;
  periods: UsedPeriod[];
  matches: ChannelMatch[];
  /** Credit per channel name (journey names where matched, model names otherwise). */
  credit: Record<string, number>;
}

export interface MmmColumnRequest {
  model: MediaMixModel;
  /** The journeys' first and last day, YYYY-MM-DD (UTC). */
  from: string;
  to: string;
  journeyChannels: readonly string[];
  mapping: readonly ChannelMapping[];
}

function periodLength(model: MediaMixModel, days: number[]): number {
  if (model.periods.periodDays !== undefined) return model.periods.periodDays;
  return days.length > 1 ? days[1] - days[0] : 7;
}

/** Checks the mapping against both sides; every problem is named with its field. */
function checkMapping(
  mapping: readonly ChannelMapping[],
  modelChannels: readonly string[],
  journeyChannels: readonly string[],
): void {
  const problems: Array<{ field: string; message: string }> = [];
  const seen = new Map<string, number>();
  mapping.forEach((m, i) => {
    if (!modelChannels.includes(m.model)) {
      problems.push({
        field: `channelMapping[${i}].model`,
        message: `the model has no channel '${m.model}' (its channels: ${modelChannels.join(', ')})`,
      });
    } else if (seen.has(m.model)) {
      problems.push({
        field: `channelMapping[${i}].model`,
        message: `'${m.model}' is already mapped by channelMapping[${seen.get(m.model)}]`,
      });
    }
    seen.set(m.model, seen.get(m.model) ?? i);
    if (!journeyChannels.includes(m.journey)) {
      problems.push({
        field: `channelMapping[${i}].journey`,
        message: `no journey touched a channel '${m.journey}' (the journeys' channels: ${journeyChannels.join(', ')})`,
      });
    }
  });
  if (problems.length > 0) throw new AttributionInputError(problems);
}

/**
 * The MMM column over the journeys' dates. A model period [date, date + periodDays) counts by
 * the share of its days inside [from, to] (so a week half inside counts half); each channel's
 * contribution is its decomposition term summed that way, plus half of each synergy term it is
 * part of. Model channels go to the journey channel of the same name, or the one the mapping
 * names (several may go to one); the others keep their model name (a channel no journey touched).
 */
export function mmmColumn(request: MmmColumnRequest): MmmColumn {
  const { model, from, to, journeyChannels, mapping } = request;
  const dates = model.periods.dates;
  if (!dates || dates.length === 0) {
    throw new AttributionInputError([
      { field: 'modelId', message: 'the model has no period dates to match the journeys with' },
    ]);
  }
  const modelChannels = model.channels.map((c) => c.name);
  checkMapping(mapping, modelChannels, journeyChannels);

  const first = parseIsoDay(from);
  const last = parseIsoDay(to);
  if (first === null || last === null) throw new RangeError(`bad journey dates ${from} .. ${to}`);
  const days = dates.map((d) => {
    const day = parseIsoDay(d);
    if (day === null) throw new RangeError(`the model's period date ${d} is not a date`);
    return day;
  });
  const periodDays = periodLength(model, days);
  const weights = new Float64Array(dates.length);
  const periods: UsedPeriod[] = [];
  days.forEach((start, t) => {
    const overlap = Math.min(start + periodDays, last + 1) - Math.max(start, first);
    if (overlap <= 0) return;
    weights[t] = overlap / periodDays;
    periods.push({ date: dates[t], days: periodDays, overlapDays: overlap });
  });
  if (periods.length === 0) {
    const end = formatIsoDay(days[days.length - 1] + periodDays - 1);
    throw new AttributionInputError([
      {
        field: 'modelId',
        message: `the model's periods (${dates[0]} .. ${end}) do not overlap the journeys' dates (${from} .. ${to})`,
      },
    ]);
  }

  const parts = decompose(model);
  const sum = (series: Float64Array) => {
    let s = 0;
    for (let t = 0; t < series.length; t++) if (weights[t] > 0) s += weights[t] * series[t];
    return s;
  };
  const contribution = new Map(modelChannels.map((name) => [name, sum(parts.media[name])]));
  for (const term of model.interactions) {
    const half = sum(parts.interactions[`${term.a}:${term.b}`]) / 2;
    contribution.set(term.a, (contribution.get(term.a) ?? 0) + half);
    contribution.set(term.b, (contribution.get(term.b) ?? 0) + half);
  }

  const mapped = new Map(mapping.map((m) => [m.model, m.journey]));
  const credit: Record<string, number> = {};
  const matches = modelChannels.map((name): ChannelMatch => {
    const value = contribution.get(name) ?? 0;
    const viaMapping = mapped.get(name);
    const journey = viaMapping ?? (journeyChannels.includes(name) ? name : null);
    const key = journey ?? name;
    credit[key] = (credit[key] ?? 0) + value;
    return {
      model: name,
      journey,
      by: viaMapping !== undefined ? 'MAPPING' : journey !== null ? 'NAME' : 'NONE',
      contribution: value,
    };
  });
  return {
    unit: model.kpi.type === 'conversions' ? 'conversions' : 'value',
    kpiName: model.kpi.name,
    kpiType: model.kpi.type === 'conversions' ? 'CONVERSIONS' : 'REVENUE',
    from,
    to,
    periodDays,
    periods,
    matches,
    credit,
  };
}
