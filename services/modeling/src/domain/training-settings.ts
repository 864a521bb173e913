import {
  mediaMixTableFromDataset,
  parseIsoDay,
  planMediaMixFit,
  type FitMediaMixOptions,
  type LiftTest,
  type MediaMixTableSpec,
  type ParameterBounds,
} from '@mmm/core';
import {
  AdstockType,
  CoefficientSign,
  ModelSelection,
  SaturationType,
  create,
  TrainingConfigSchema,
  type DatasetDescriptor,
  type StoredTable,
  type TrainingConfig,
  type ValidationIssue,
} from '@mmm/platform';

// A training request, checked once where it enters (the trainModel mutation, a
// training.requested command, a job taken from the queue) into fully defaulted settings. The
// defaults are `mmm fit`'s, so that the same data, settings and seed give the same model through
// the service as through the command line.

export type AdstockFamily = 'geometric' | 'weibull_cdf' | 'weibull_pdf';
export type SaturationFamily = 'hill' | 'logistic';
export type SelectionRule = 'posterior' | 'best-fit' | 'knee';
export type HyperparameterName = 'theta' | 'shape' | 'scale' | 'alpha' | 'gamma' | 'lam';

export interface HyperparameterBound {
  /** Null: every channel. */
  channel: string | null;
  parameter: HyperparameterName;
  lower: number;
  upper: number;
}

export interface DatedLiftTest {
  channel: string;
  /** YYYY-MM-DD, inclusive. */
  startDate: string;
  endDate: string;
  lift: number;
}

export interface TrainingSettings {
  /** Paid channels; null: every paid channel of the dataset. */
  channels: string[] | null;
  adstock: AdstockFamily;
  saturation: SaturationFamily;
  bounds: HyperparameterBound[];
  iterations: number;
  trials: number;
  holdoutPeriods: number;
  liftTests: DatedLiftTest[];
  /** Null: the engine's default (posterior, or best-fit with lift tests). */
  selection: SelectionRule | null;
  seed: number;
  bootstrapSamples: number;
  /** Null: the engine's default. */
  fourierOrder: number | null;
  weeklyOrder: number | null;
  controlSigns: Array<{ control: string; sign: 'positive' | 'negative' }>;
  events: Array<{ date: string; name: string }>;
  keepCandidates: boolean;
}

/** `mmm fit`'s defaults (libs/mmm-cli/src/args.ts). */
export const TRAINING_DEFAULTS = {
  adstock: 'geometric',
  saturation: 'hill',
  iterations: 2000,
  trials: 5,
  holdoutPeriods: 0,
  seed: 1,
  bootstrapSamples: 0,
} as const;

/** The limits a request is checked against (the CLI's, where it has them). */
export const TRAINING_LIMITS = {
  iterations: [10, 1_000_000],
  trials: [1, 1000],
  seed: [0, 2 ** 31 - 1],
  bootstrapSamples: [0, 10_000],
  fourierOrder: [0, 20],
  weeklyOrder: [0, 3],
} as const;

const PARAMETERS: readonly HyperparameterName[] = [
  'theta',
  'shape',
  'scale',
  'alpha',
  'gamma',
  'lam',
];

/** The request as it arrives: GraphQL input or a decoded proto config (optional fields). */
export interface TrainingRequestFields {
  channels?: readonly string[] | null;
  adstock?: AdstockFamily | null;
  saturation?: SaturationFamily | null;
  bounds?: ReadonlyArray<{
    channel?: string | null;
    parameter: string;
    lower: number;
    upper: number;
  }> | null;
  iterations?: number | null;
  trials?: number | null;
  holdoutPeriods?: number | null;
  liftTests?: ReadonlyArray<{
    channel: string;
    startDate: string;
    endDate: string;
    lift: number;
  }> | null;
  selection?: SelectionRule | null;
  seed?: number | null;
  bootstrapSamples?: number | null;
  fourierOrder?: number | null;
  weeklyOrder?: number | null;
  controlSigns?: ReadonlyArray<{ control: string; sign: 'positive' | 'negative' }> | null;
  events?: ReadonlyArray<{ date: string; name: string }> | null;
  keepCandidates?: boolean | null;
}

/** A training request that cannot run; `issues` name each field (`input.` prefixed paths). */
export class TrainingRequestError extends Error {
  override readonly name = 'TrainingRequestError';
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.length === 1 ? issues[0].message : `${issues.length} problems in the request`);
  }
}

function integerIn(
  issues: ValidationIssue[],
  field: string,
  value: number | null | undefined,
  [min, max]: readonly [number, number],
  fallback: number,
): number {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    issues.push({
      field,
      message: `${field} must be an integer from ${min} to ${max}, got ${value}.`,
    });
    return fallback;
  }
  return value;
}

/** Checks what can be checked without the data and applies the defaults. */
export function resolveTrainingSettings(
  fields: TrainingRequestFields,
  prefix = 'input',
): TrainingSettings {
  const issues: ValidationIssue[] = [];
  const at = (name: string) => `${prefix}.${name}`;
  const adstock = fields.adstock ?? TRAINING_DEFAULTS.adstock;
  const saturation = fields.saturation ?? TRAINING_DEFAULTS.saturation;
  const allowed = new Set<HyperparameterName>([
    ...(adstock === 'geometric' ? ['theta' as const] : ['shape' as const, 'scale' as const]),
    ...(saturation === 'hill' ? ['alpha' as const, 'gamma' as const] : ['lam' as const]),
  ]);
  const bounds: HyperparameterBound[] = [];
  (fields.bounds ?? []).forEach((b, i) => {
    const field = at(`bounds[${i}]`);
    const parameter = b.parameter as HyperparameterName;
    if (!PARAMETERS.includes(parameter)) {
      issues.push({
        field: `${field}.parameter`,
        message: `${field}.parameter must be one of ${PARAMETERS.join(', ')}, got '${b.parameter}'.`,
      });
      return;
    }
    if (!allowed.has(parameter)) {
      issues.push({
        field: `${field}.parameter`,
        message: `${field}.parameter '${parameter}' does not belong to ${adstock} adstock with ${saturation} saturation (${[...allowed].join(', ')}).`,
      });
      return;
    }
    const [hardLower, hardUpper] = hardLimits(parameter);
    if (!(Number.isFinite(b.lower) && Number.isFinite(b.upper) && b.lower <= b.upper)) {
      issues.push({
        field: `${field}.lower`,
        message: `${field}: lower (${b.lower}) must be a number no greater than upper (${b.upper}).`,
      });
      return;
    }
    if (b.lower < hardLower || b.upper > hardUpper) {
      issues.push({
        field: `${field}.lower`,
        message: `${field}: ${parameter} must lie within [${hardLower}, ${hardUpper}], got [${b.lower}, ${b.upper}].`,
      });
      return;
    }
    bounds.push({ channel: b.channel || null, parameter, lower: b.lower, upper: b.upper });
  });
  const liftTests: DatedLiftTest[] = [];
  (fields.liftTests ?? []).forEach((t, i) => {
    const field = at(`liftTests[${i}]`);
    for (const [name, date] of [
      ['startDate', t.startDate],
      ['endDate', t.endDate],
    ] as const) {
      if (parseIsoDay(date) === null) {
        issues.push({
          field: `${field}.${name}`,
          message: `${field}.${name} '${date}' is not a date (YYYY-MM-DD).`,
        });
      }
    }
    if (!(Number.isFinite(t.lift) && t.lift !== 0)) {
      issues.push({ field: `${field}.lift`, message: `${field}.lift must be a non-zero number.` });
    }
    liftTests.push({
      channel: t.channel,
      startDate: t.startDate,
      endDate: t.endDate,
      lift: t.lift,
    });
  });
  if (fields.selection === 'posterior' && liftTests.length > 0) {
    issues.push({
      field: at('selection'),
      message: `${at('selection')} POSTERIOR does not take lift tests; use BEST_FIT or KNEE.`,
    });
  }
  const events: Array<{ date: string; name: string }> = [];
  (fields.events ?? []).forEach((e, i) => {
    const field = at(`events[${i}]`);
    if (parseIsoDay(e.date) === null) {
      issues.push({
        field: `${field}.date`,
        message: `${field}.date '${e.date}' is not a date (YYYY-MM-DD).`,
      });
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(e.name)) {
      issues.push({
        field: `${field}.name`,
        message: `${field}.name must be 1-64 letters, digits or _ (not starting with a digit), got '${e.name}'.`,
      });
    }
    events.push({ date: e.date, name: e.name });
  });
  const channels = fields.channels && fields.channels.length > 0 ? [...fields.channels] : null;
  if (channels && new Set(channels).size !== channels.length) {
    issues.push({ field: at('channels'), message: `${at('channels')} names a channel twice.` });
  }
  const settings: TrainingSettings = {
    channels,
    adstock,
    saturation,
    bounds,
    iterations: integerIn(
      issues,
      at('iterations'),
      fields.iterations,
      TRAINING_LIMITS.iterations,
      TRAINING_DEFAULTS.iterations,
    ),
    trials: integerIn(
      issues,
      at('trials'),
      fields.trials,
      TRAINING_LIMITS.trials,
      TRAINING_DEFAULTS.trials,
    ),
    holdoutPeriods: integerIn(
      issues,
      at('holdoutPeriods'),
      fields.holdoutPeriods,
      [0, 100_000],
      TRAINING_DEFAULTS.holdoutPeriods,
    ),
    liftTests,
    selection: fields.selection ?? null,
    seed: integerIn(issues, at('seed'), fields.seed, TRAINING_LIMITS.seed, TRAINING_DEFAULTS.seed),
    bootstrapSamples: integerIn(
      issues,
      at('bootstrapSamples'),
      fields.bootstrapSamples,
      TRAINING_LIMITS.bootstrapSamples,
      TRAINING_DEFAULTS.bootstrapSamples,
    ),
    fourierOrder:
      fields.fourierOrder === null || fields.fourierOrder === undefined
        ? null
        : integerIn(
            issues,
            at('fourierOrder'),
            fields.fourierOrder,
            TRAINING_LIMITS.fourierOrder,
            2,
          ),
    weeklyOrder:
      fields.weeklyOrder === null || fields.weeklyOrder === undefined
        ? null
        : integerIn(issues, at('weeklyOrder'), fields.weeklyOrder, TRAINING_LIMITS.weeklyOrder, 3),
    controlSigns: (fields.controlSigns ?? []).map((c) => ({ control: c.control, sign: c.sign })),
    events,
    keepCandidates: fields.keepCandidates ?? false,
  };
  if (issues.length > 0) throw new TrainingRequestError(issues);
  return settings;
}

function hardLimits(parameter: HyperparameterName): [number, number] {
  switch (parameter) {
    case 'theta':
      return [0, 0.99];
    case 'gamma':
      return [0.01, 1];
    case 'alpha':
      return [0.01, 10];
    case 'scale':
      return [0, 1];
    case 'shape':
      return [0.0001, 20];
    case 'lam':
      return [0.01, 100];
  }
}

/** The engine's table and fit options for settings on a dataset. */
export interface EngineFit {
  table: MediaMixTableSpec;
  options: FitMediaMixOptions;
}

/**
 * Checks the settings against the dataset (channels, controls, dates, holdout, lift tests, and
 * what the engine's plan refuses, e.g. a channel without spend in the training periods) and
 * gives the engine's input. Throws TrainingRequestError naming the fields.
 */
export function engineFit(
  settings: TrainingSettings,
  dataset: Pick<DatasetDescriptor, 'id' | 'contentSha256' | 'kpiColumn' | 'kpiType'>,
  table: StoredTable,
  workers: number,
  prefix = 'input',
): EngineFit {
  const issues: ValidationIssue[] = [];
  const at = (name: string) => `${prefix}.${name}`;
  const paid = table.columns.filter((c) => c.role === 'PAID_SPEND').map((c) => c.channel ?? c.name);
  const organic = table.columns.filter((c) => c.role === 'ORGANIC').map((c) => c.channel ?? c.name);
  const controls = table.columns.filter((c) => c.role === 'CONTROL').map((c) => c.name);
  (settings.channels ?? []).forEach((name, i) => {
    if (!paid.includes(name)) {
      issues.push({
        field: at(`channels[${i}]`),
        message: `${at(`channels[${i}]`)} '${name}' is not a paid channel of dataset ${dataset.id} (${paid.join(', ')}).`,
      });
    }
  });
  const modelled = [...(settings.channels ?? paid), ...organic];
  settings.bounds.forEach((b, i) => {
    if (b.channel !== null && !modelled.includes(b.channel)) {
      issues.push({
        field: at(`bounds[${i}].channel`),
        message: `${at(`bounds[${i}].channel`)} '${b.channel}' is not a modelled channel (${modelled.join(', ')}).`,
      });
    }
  });
  settings.controlSigns.forEach((c, i) => {
    if (!controls.includes(c.control)) {
      issues.push({
        field: at(`controlSigns[${i}].control`),
        message: `${at(`controlSigns[${i}].control`)} '${c.control}' is not a control of the dataset (${controls.join(', ') || 'none'}).`,
      });
    }
  });
  const rows = table.dates.length;
  const trainEnd = rows - settings.holdoutPeriods;
  if (trainEnd < 8) {
    issues.push({
      field: at('holdoutPeriods'),
      message: `${at('holdoutPeriods')} ${settings.holdoutPeriods} leaves ${trainEnd} of the ${rows} periods to fit; at least 8 are needed.`,
    });
  }
  const liftTests: LiftTest[] = [];
  settings.liftTests.forEach((t, i) => {
    const field = at(`liftTests[${i}]`);
    if (!modelled.includes(t.channel)) {
      issues.push({
        field: `${field}.channel`,
        message: `${field}.channel '${t.channel}' is not a modelled channel.`,
      });
      return;
    }
    // ISO dates compare as strings.
    const start = table.dates.findIndex((d) => d >= t.startDate);
    let end = -1;
    for (let r = rows - 1; r >= 0; r--) {
      if (table.dates[r] <= t.endDate) {
        end = r;
        break;
      }
    }
    if (start < 0 || end < start) {
      issues.push({
        field: `${field}.startDate`,
        message: `${field}: no period of the dataset lies in ${t.startDate} .. ${t.endDate}.`,
      });
      return;
    }
    if (end >= trainEnd) {
      issues.push({
        field: `${field}.endDate`,
        message: `${field}: ${t.startDate} .. ${t.endDate} reaches into the holdout periods.`,
      });
      return;
    }
    liftTests.push({ channel: t.channel, start, end, lift: t.lift });
  });
  if (issues.length > 0) throw new TrainingRequestError(issues);

  const spec = mediaMixTableFromDataset(table, {
    channels: settings.channels ?? undefined,
    controlSigns: Object.fromEntries(settings.controlSigns.map((c) => [c.control, c.sign])),
    events: settings.events,
    fourierOrder: settings.fourierOrder ?? undefined,
    weeklyOrder: settings.weeklyOrder ?? undefined,
  });
  const withBounds = <C extends { name: string }>(channel: C): C & { bounds?: ParameterBounds } => {
    const own = settings.bounds.filter((b) => b.channel === null || b.channel === channel.name);
    if (own.length === 0) return channel;
    const bounds: ParameterBounds = {};
    // A channel's own bound wins over one for every channel.
    for (const b of [...own].sort(
      (x, y) => Number(x.channel !== null) - Number(y.channel !== null),
    )) {
      bounds[b.parameter] = [b.lower, b.upper];
    }
    return { ...channel, bounds };
  };
  const engineTable: MediaMixTableSpec = {
    ...spec,
    paid: spec.paid.map(withBounds),
    organic: spec.organic?.map(withBounds),
  };
  const options: FitMediaMixOptions = {
    adstock: settings.adstock,
    iterations: settings.iterations,
    trials: settings.trials,
    seed: settings.seed,
    workers,
    holdout: settings.holdoutPeriods,
    kpiName: dataset.kpiColumn,
    kpiType: dataset.kpiType === 'CONVERSIONS' ? 'conversions' : 'revenue',
    bootstrapSamples: settings.bootstrapSamples,
    selection: settings.selection ?? undefined,
    liftTests: liftTests.length > 0 ? liftTests : undefined,
    ...(settings.saturation === 'logistic' ? { context: { saturation: 'logistic' as const } } : {}),
    source: {
      dataset: { id: dataset.id, contentHash: dataset.contentSha256 },
      config: settingsJson(settings),
    },
  };
  // What the engine itself refuses (a channel with no spend in the training periods, ...).
  try {
    planMediaMixFit(engineTable, { ...options, workers: 0 });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new TrainingRequestError([{ field: prefix, message: `${error.message}.` }]);
  }
  return { table: engineTable, options };
}

/** Settings as plain JSON, for records and the model's provenance. */
export function settingsJson(settings: TrainingSettings): Record<string, unknown> {
  return JSON.parse(JSON.stringify(settings)) as Record<string, unknown>;
}

/** The candidates a job evaluates: iterations x trials. */
export function candidateCount(settings: Pick<TrainingSettings, 'iterations' | 'trials'>): number {
  return settings.iterations * settings.trials;
}

/** Whether the engine will choose by posterior (and so run chains) with these settings. */
export function usesPosterior(settings: TrainingSettings): boolean {
  return (
    (settings.selection ?? (settings.liftTests.length > 0 ? 'best-fit' : 'posterior')) ===
    'posterior'
  );
}

// The proto contract (TrainingConfig) <-> settings.

const ADSTOCK_FROM_PROTO: Record<AdstockType, AdstockFamily | null> = {
  [AdstockType.UNSPECIFIED]: null,
  [AdstockType.GEOMETRIC]: 'geometric',
  [AdstockType.WEIBULL_CDF]: 'weibull_cdf',
  [AdstockType.WEIBULL_PDF]: 'weibull_pdf',
};
const SATURATION_FROM_PROTO: Record<SaturationType, SaturationFamily | null> = {
  [SaturationType.UNSPECIFIED]: null,
  [SaturationType.HILL]: 'hill',
  [SaturationType.LOGISTIC]: 'logistic',
};
const SELECTION_FROM_PROTO: Record<ModelSelection, SelectionRule | null> = {
  [ModelSelection.UNSPECIFIED]: null,
  [ModelSelection.POSTERIOR]: 'posterior',
  [ModelSelection.BEST_FIT]: 'best-fit',
  [ModelSelection.KNEE]: 'knee',
};

function invert<K extends number, V extends string>(map: Record<K, V | null>): Record<V, K> {
  const out = {} as Record<V, K>;
  for (const [key, value] of Object.entries(map) as Array<[string, V | null]>) {
    if (value !== null) out[value] = Number(key) as K;
  }
  return out;
}

/** The request fields of a proto TrainingConfig (unknown enum values are refused by name). */
export function fieldsFromProto(config: TrainingConfig | undefined): TrainingRequestFields {
  if (!config) return {};
  const signs = config.controlSigns.map((c) => ({
    control: c.control,
    sign: c.sign === CoefficientSign.NEGATIVE ? ('negative' as const) : ('positive' as const),
  }));
  return {
    channels: config.channels,
    adstock: ADSTOCK_FROM_PROTO[config.adstock] ?? null,
    saturation: SATURATION_FROM_PROTO[config.saturation] ?? null,
    bounds: config.bounds.map((b) => ({
      channel: b.channel || null,
      parameter: b.parameter,
      lower: b.lower,
      upper: b.upper,
    })),
    iterations: config.iterations,
    trials: config.trials,
    holdoutPeriods: config.holdoutPeriods,
    liftTests: config.liftTests.map((t) => ({
      channel: t.channel,
      startDate: t.startDate,
      endDate: t.endDate,
      lift: t.lift,
    })),
    selection: SELECTION_FROM_PROTO[config.selection] ?? null,
    seed: config.seed,
    bootstrapSamples: config.bootstrapSamples,
    fourierOrder: config.fourierOrder,
    weeklyOrder: config.weeklyOrder,
    controlSigns: signs,
    events: config.events.map((e) => ({ date: e.date, name: e.name })),
    keepCandidates: config.keepCandidates,
  };
}

/** The settings as the proto contract carries them on the job. */
export function settingsToProto(settings: TrainingSettings): TrainingConfig {
  return create(TrainingConfigSchema, {
    channels: settings.channels ?? [],
    adstock: invert(ADSTOCK_FROM_PROTO)[settings.adstock],
    saturation: invert(SATURATION_FROM_PROTO)[settings.saturation],
    bounds: settings.bounds.map((b) => ({
      channel: b.channel ?? '',
      parameter: b.parameter,
      lower: b.lower,
      upper: b.upper,
    })),
    iterations: settings.iterations,
    trials: settings.trials,
    holdoutPeriods: settings.holdoutPeriods,
    liftTests: settings.liftTests,
    selection: settings.selection
      ? invert(SELECTION_FROM_PROTO)[settings.selection]
      : ModelSelection.UNSPECIFIED,
    seed: settings.seed,
    bootstrapSamples: settings.bootstrapSamples,
    fourierOrder: settings.fourierOrder ?? undefined,
    weeklyOrder: settings.weeklyOrder ?? undefined,
    controlSigns: settings.controlSigns.map((c) => ({
      control: c.control,
      sign: c.sign === 'negative' ? CoefficientSign.NEGATIVE : CoefficientSign.POSITIVE,
    })),
    events: settings.events,
    keepCandidates: settings.keepCandidates,
  });
}
