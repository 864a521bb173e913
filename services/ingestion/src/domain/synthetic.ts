import { ValidationError } from '@mmm/platform';
import type { IngestRequest } from './catalog';

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
  /** KPI caused by the channel over its spend, over the whole dataset. */
  roas: number;
  spend: number;
  contribution: number;
}

export interface SyntheticTruth {
  seed: number;
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
  seed: 1,
  noise: 0.05,
  startDate: '2023-01-02',
} as const;

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
  if (!Number.isInteger(full.seed))
    issues.push({ field: 'seed', message: 'seed must be an integer.' });
  const [minNoise, maxNoise] = SYNTHETIC_LIMITS.noise;
  if (!(full.noise >= minNoise && full.noise <= maxNoise)) {
    issues.push({ field: 'noise', message: `noise must be from ${minNoise} to ${maxNoise}.` });
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(full.startDate) || Number.isNaN(Date.parse(full.startDate))) {
    issues.push({ field: 'startDate', message: 'startDate must be a date written YYYY-MM-DD.' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return full;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The generator of @mmm/core behind the SyntheticSource port. */
export function coreSyntheticSource(): SyntheticSource {
  return {
    generate(request) {
      checkSyntheticRequest(request);
      throw new Error('the synthetic generator of @mmm/core is not available yet');
    },
  };
}
