import { generateSyntheticDataset, parseIsoDay, toCsv, type SyntheticDataset } from '@mmm/core';
import { ValidationError } from '@mmm/platform';
import type { IngestRequest } from './catalog';
import { minimumPeriods, PERIODS_PER_VARIABLE } from './prepare';

/** What a caller may ask of the synthetic generator; omitted values take the defaults. */
export interface SyntheticRequest {
  weeks?: number;
  channels?: number;
  seed?: number;
  noise?: number;
  startDate?: string;
}

export interface ChannelTruth {
  channel: string;
  spendColumn: string;
  /** KPI caused by the channel over its spend, over the whole dataset. */
  roas: number;
  spend: number;
  contribution: number;
  /** Geometric adstock decay. */
  theta: number | null;
  /** Hill saturation shape and inflexion (Robyn's parameterization). */
  alpha: number;
  gamma: number;
}

export interface SyntheticTruth {
  seed: number;
  /** Standard deviation of the KPI noise, in KPI units. */
  noiseSd: number;
  channels: ChannelTruth[];
}

/** A generated file ready to ingest like any other, with the truth behind it. */
export interface GeneratedDataset {
  ingest: IngestRequest & { name: string };
  truth: SyntheticTruth;
}

export interface SyntheticSource {
  generate(request: SyntheticRequest): GeneratedDataset;
}

export const SYNTHETIC_DEFAULTS = {
  weeks: 104,
  channels: 3,
  seed: 42,
  /** Noise standard deviation as a fraction of the baseline KPI level. */
  noise: 0.03,
  startDate: '2023-01-02',
} as const;

/** The generator adds two controls (promo, price index) to the paid channels. */
const SYNTHETIC_CONTROLS = 2;

export const SYNTHETIC_LIMITS = { weeks: [26, 520], channels: [1, 12], noise: [0, 1] } as const;

/** The request with defaults filled in, or a ValidationError naming each bad field. */
export function checkSyntheticRequest(request: SyntheticRequest): Required<SyntheticRequest> {
  const full = { ...SYNTHETIC_DEFAULTS, ...stripUndefined(request) };
  const issues: Array<{ field: string; message: string }> = [];
  const [minWeeks, maxWeeks] = SYNTHETIC_LIMITS.weeks;
  if (!Number.isInteger(full.weeks) || full.weeks < minWeeks || full.weeks > maxWeeks) {
    issues.push({
      field: 'weeks',
      message: `weeks must be an integer from ${minWeeks} to ${maxWeeks}.`,
    });
  }
  const [minChannels, maxChannels] = SYNTHETIC_LIMITS.channels;
  if (
    !Number.isInteger(full.channels) ||
    full.channels < minChannels ||
    full.channels > maxChannels
  ) {
    issues.push({
      field: 'channels',
      message: `channels must be an integer from ${minChannels} to ${maxChannels}.`,
    });
  }
  const needed = minimumPeriods(full.channels + SYNTHETIC_CONTROLS);
  // Only once both are in range on their own, so one mistake gives one message.
  if (issues.length === 0 && full.weeks < needed) {
    issues.push({
      field: 'weeks',
      message: `${full.channels} channels need at least ${needed} weeks (${PERIODS_PER_VARIABLE} per variable, the 2 controls included).`,
    });
  }
  if (!Number.isInteger(full.seed)) {
    issues.push({ field: 'seed', message: 'seed must be an integer.' });
  }
  const [minNoise, maxNoise] = SYNTHETIC_LIMITS.noise;
  if (!(full.noise >= minNoise && full.noise <= maxNoise)) {
    issues.push({ field: 'noise', message: `noise must be from ${minNoise} to ${maxNoise}.` });
  }
  if (parseIsoDay(full.startDate) === null) {
    issues.push({ field: 'startDate', message: 'startDate must be a date written YYYY-MM-DD.' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return full;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What goes into the name, the CSV and the roles of a generated dataset. */
export function syntheticIngestRequest(
  data: SyntheticDataset,
  request: Required<SyntheticRequest>,
): GeneratedDataset['ingest'] {
  // A short series can draw no promotion at all; a constant control would be refused.
  const varying = data.controlColumns.filter((name) => {
    const values = data.columns[name];
    return values.some((v) => v !== values[0]);
  });
  return {
    name: `Synthetic: ${request.channels} channels, ${request.weeks} weeks, seed ${request.seed}`,
    content: toCsv(data),
    format: 'CSV',
    frequency: 'WEEKLY',
    aggregateToWeekly: false,
    missingMediaAsZero: false,
    roles: {
      date: data.dateColumn,
      kpi: data.kpiColumn,
      kpiType: 'REVENUE',
      paidMedia: data.truth.channels.map((c) => ({ spend: c.spendColumn, channel: c.name })),
      organic: [],
      controls: varying,
    },
  };
}

export function syntheticTruth(data: SyntheticDataset): SyntheticTruth {
  return {
    seed: data.options.seed,
    noiseSd: data.truth.noiseSd,
    channels: data.truth.channels.map((c) => ({
      channel: c.name,
      spendColumn: c.spendColumn,
      roas: c.roas,
      spend: c.totalSpend,
      contribution: c.totalContribution,
      theta: c.theta ?? null,
      alpha: c.alpha,
      gamma: c.gamma,
    })),
  };
}

/** Runs the generator of @mmm/core (a pure function) for a checked request. */
export function generateSynthetic(request: SyntheticRequest): {
  data: SyntheticDataset;
  generated: GeneratedDataset;
} {
  const full = checkSyntheticRequest(request);
  const data = generateSyntheticDataset({
    seed: full.seed,
    periods: full.weeks,
    frequency: 'weekly',
    startDate: full.startDate,
    channels: full.channels,
    noise: full.noise,
  });
  return {
    data,
    generated: { ingest: syntheticIngestRequest(data, full), truth: syntheticTruth(data) },
  };
}

/** The generator of @mmm/core behind the SyntheticSource port. */
export function coreSyntheticSource(): SyntheticSource {
  return { generate: (request) => generateSynthetic(request).generated };
}
