import { decompose, parseIsoDay, responseCurve, type MediaMixModel } from '@mmm/core';
import { ValidationError } from '@mmm/platform';
import type { ChannelRecord, EstimateInterval, ModelArtifact, ModelRecord } from './registry';

// What the supergraph shows of a stored model: the record's summary as it is, large series
// (decomposition, curves) computed from the artifact only when asked for.

export function channelView(record: ModelRecord, c: ChannelRecord) {
  const paid = c.kind === 'paid';
  const conversions = record.kpi.type === 'conversions';
  return {
    channel: c.name,
    kind: c.kind.toUpperCase(),
    spend: c.spend,
    contribution: c.contribution,
    contributionInterval: c.contributionInterval,
    roas: paid && !conversions ? intervalOrEstimate(c.roasInterval, c.roas) : null,
    cpa: paid && conversions ? intervalOrEstimate(c.cpaInterval, c.cpa) : null,
    marginalRoas: c.marginalRoas,
    spendShare: c.spendShare,
    effectShare: c.effectShare,
    carryoverShare: c.carryoverShare,
    coefficient: c.coefficient,
    hyperparameters: c.hyperparameters,
  };
}

function intervalOrEstimate(
  interval: EstimateInterval | null,
  estimate: number | null,
): EstimateInterval | null {
  if (interval) return interval;
  return estimate === null
    ? null
    : { estimate, lower: null, upper: null, level: null, method: null };
}

function checkDate(field: string, value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (parseIsoDay(value) === null) {
    throw new ValidationError([
      { field, message: `${field} '${value}' is not a date (YYYY-MM-DD).` },
    ]);
  }
  return value;
}

/** The fit and decomposition over [from, to] (dates inclusive; default every period). */
export function decompositionView(model: MediaMixModel, from?: string | null, to?: string | null) {
  const first = checkDate('from', from);
  const last = checkDate('to', to);
  if (first && last && first > last) {
    throw new ValidationError([{ field: 'from', message: `from ${first} is after to ${last}.` }]);
  }
  const dates =
    model.periods.dates ?? Array.from({ length: model.periods.count }, (_, t) => String(t));
  const keep: number[] = [];
  dates.forEach((d, t) => {
    // ISO dates compare as strings.
    if ((first === null || d >= first) && (last === null || d <= last)) keep.push(t);
  });
  const parts = decompose(model);
  const pick = (series: ArrayLike<number>) => keep.map((t) => series[t]);
  const groups = new Map<string, Float64Array>();
  for (const term of model.baseline) {
    const sum = groups.get(term.group) ?? new Float64Array(model.periods.count);
    const series = parts.baseline[term.name];
    for (let t = 0; t < sum.length; t++) sum[t] += series[t];
    groups.set(term.group, sum);
  }
  const holdoutAt = keep.findIndex((t) => t >= model.periods.trainEnd);
  return {
    dates: keep.map((t) => dates[t]),
    actual: pick(model.actual),
    fitted: pick(parts.fitted),
    intercept: pick(parts.intercept),
    baseline: [...groups].map(([group, series]) => ({ name: group, group, values: pick(series) })),
    media: model.channels.map((c) => ({
      name: c.name,
      group: 'media',
      values: pick(parts.media[c.name]),
    })),
    holdoutStart: holdoutAt >= 0 ? holdoutAt : null,
  };
}

/** Curves at `points` multiples of current mean spend from 0 to maxMultiple. */
export function responseCurvesView(
  model: MediaMixModel,
  channels: readonly string[] | null | undefined,
  points: number | null | undefined,
  maxMultiple: number | null | undefined,
) {
  const count = points ?? 25;
  const top = maxMultiple ?? 3;
  if (!Number.isInteger(count) || count < 2 || count > 500) {
    throw new ValidationError([
      { field: 'points', message: 'points must be an integer from 2 to 500.' },
    ]);
  }
  if (!(top > 0 && top <= 100)) {
    throw new ValidationError([
      { field: 'maxMultiple', message: 'maxMultiple must be above 0 and at most 100.' },
    ]);
  }
  const paid = model.channels.filter((c) => c.kind === 'paid');
  const names = channels ?? paid.map((c) => c.name);
  return names.map((name, i) => {
    const channel = paid.find((c) => c.name === name);
    if (!channel) {
      throw new ValidationError([
        {
          field: `channels[${i}]`,
          message: `'${name}' is not a paid channel of the model (${paid.map((c) => c.name).join(', ')}).`,
        },
      ]);
    }
    const spends = Array.from(
      { length: count },
      (_, k) => (top * channel.meanSpend * k) / (count - 1),
    );
    const [current] = responseCurve(model, name, [channel.meanSpend]);
    return {
      channel: name,
      currentSpend: channel.meanSpend,
      currentResponse: current.response,
      points: responseCurve(model, name, spends).map((p) => ({
        spend: p.spend,
        response: p.response,
        marginal: p.marginal,
      })),
    };
  });
}

export function paretoView(artifact: ModelArtifact) {
  return artifact.paretoFront.map((p) => ({
    trial: p.trial,
    index: p.index,
    nrmse: p.objectives.nrmse,
    decompRssd: p.objectives.decompRssd,
    mapeLift: p.objectives.mapeLift ?? null,
    hyperparameters: JSON.stringify(p.hyperparameters),
  }));
}
