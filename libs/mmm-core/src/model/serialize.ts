/**
 * MediaMixModel <-> JSON. parseModel checks the whole shape and reports the first problem
 * with its path (e.g. `channels[2].saturation.alpha: expected a finite number, got "x"`), so that a
 * stored model that was edited or truncated fails loudly at load time, not as NaN later.
 */
import {
  MODEL_SCHEMA_VERSION,
  type ChannelDrawIntervals,
  type DrawInterval,
  type ModelDraws,
  type ModelProvenance,
  type ModelUncertainty,
  type SearchProvenance,
  type BaselineExtension,
  type BaselineTerm,
  type ChannelSaturation,
  type InteractionTerm,
  type MediaMixModel,
  type ModelChannel,
} from './model';

export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`invalid model: ${path}: ${problem}`);
  }
}

/** JSON text of a model; non-finite numbers are not JSON, so they are refused here. */
export function serializeModel(model: MediaMixModel, indent?: number): string {
  const checked = parseModel(JSON.parse(JSON.stringify(model, finiteOnly)) as unknown);
  return JSON.stringify(checked, null, indent);
}

function finiteOnly(key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new ModelFormatError(key || '(root)', `${value} cannot be stored in JSON`);
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>);
  }
  return value;
}

type Json = unknown;

function describe(v: Json): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : String(v);
}

function obj(v: Json, path: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ModelFormatError(path, `expected an object, got ${describe(v)}`);
  }
  return v as Record<string, Json>;
}

function num(v: Json, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ModelFormatError(path, `expected a finite number, got ${describe(v)}`);
  }
  return v;
}

function positive(v: Json, path: string): number {
  const x = num(v, path);
  if (!(x > 0)) throw new ModelFormatError(path, `expected a number > 0, got ${x}`);
  return x;
}

function optNum(v: Json, path: string): number | undefined {
  return v === undefined ? undefined : num(v, path);
}

function int(v: Json, path: string, min: number): number {
  const x = num(v, path);
  if (!Number.isInteger(x) || x < min) {
    throw new ModelFormatError(path, `expected an integer >= ${min}, got ${x}`);
  }
  return x;
}

function str(v: Json, path: string): string {
  if (typeof v !== 'string' || v === '') {
    throw new ModelFormatError(path, `expected a non-empty string, got ${describe(v)}`);
  }
  return v;
}

function oneOf<T extends string>(v: Json, path: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ModelFormatError(path, `expected one of ${allowed.join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

function numbers(v: Json, path: string, length?: number): number[] {
  if (!Array.isArray(v)) throw new ModelFormatError(path, `expected an array, got ${describe(v)}`);
  if (length !== undefined && v.length !== length) {
    throw new ModelFormatError(path, `expected ${length} values, got ${v.length}`);
  }
  return v.map((x, i) => num(x, `${path}[${i}]`));
}

function parseExtension(v: Json, path: string): BaselineExtension {
  const e = obj(v, path);
  const kind = oneOf(e.kind, `${path}.kind`, ['linear', 'fourier', 'constant']);
  if (kind === 'linear') return { kind };
  if (kind === 'constant') return { kind, value: num(e.value, `${path}.value`) };
  return {
    kind,
    fn: oneOf(e.fn, `${path}.fn`, ['sin', 'cos']),
    harmonic: int(e.harmonic, `${path}.harmonic`, 1),
    period: num(e.period, `${path}.period`),
  };
}

function parseSaturation(v: Json, path: string): ChannelSaturation {
  const s = obj(v, path);
  const type = oneOf(s.type, `${path}.type`, ['hill', 'logistic']);
  if (type === 'hill') {
    return {
      type,
      alpha: num(s.alpha, `${path}.alpha`),
      gamma: num(s.gamma, `${path}.gamma`),
      inflexion: num(s.inflexion, `${path}.inflexion`),
    };
  }
  return { type, lam: num(s.lam, `${path}.lam`), scale: num(s.scale, `${path}.scale`) };
}

function drawInterval(v: Json, path: string): DrawInterval {
  const i = obj(v, path);
  return {
    lower: num(i.lower, `${path}.lower`),
    median: num(i.median, `${path}.median`),
    upper: num(i.upper, `${path}.upper`),
  };
}

function optDrawInterval(v: Json, path: string): DrawInterval | null {
  return v === null || v === undefined ? null : drawInterval(v, path);
}

function array(v: Json, path: string): Json[] {
  if (!Array.isArray(v)) throw new ModelFormatError(path, `expected an array, got ${describe(v)}`);
  return v;
}

function parseUncertainty(v: Json, path: string, model: MediaMixModel): ModelUncertainty {
  const channels = new Set(model.channels.map((c) => c.name));
  const u = obj(v, path);
  const level = num(u.level, `${path}.level`);
  if (!(level > 0 && level < 1)) {
    throw new ModelFormatError(`${path}.level`, `expected a probability in (0, 1), got ${level}`);
  }
  const channel = (x: Json, at: string): string => {
    const name = str(x, at);
    if (!channels.has(name)) throw new ModelFormatError(at, `no channel named '${name}'`);
    return name;
  };
  const out: ModelUncertainty = { level };
  if (u.combined !== undefined) {
    const m = obj(u.combined, `${path}.combined`);
    out.combined = {
      method: oneOf(m.method, `${path}.combined.method`, ['posterior-bootstrap', 'bootstrap']),
      draws: int(m.draws, `${path}.combined.draws`, 1),
      channels: array(m.channels, `${path}.combined.channels`).map((c, i) =>
        parseChannelDrawIntervals(c, `${path}.combined.channels[${i}]`, channel),
      ),
    };
  }
  if (u.draws !== undefined) out.draws = parseDraws(u.draws, `${path}.draws`, model);
  if (u.posterior !== undefined) {
    const p = obj(u.posterior, `${path}.posterior`);
    out.posterior = {
      draws: int(p.draws, `${path}.posterior.draws`, 1),
      channels: array(p.channels, `${path}.posterior.channels`).map((c, i) => {
        const at = `${path}.posterior.channels[${i}]`;
        const entry = obj(c, at);
        return {
          name: channel(entry.name, `${at}.name`),
          roas: drawInterval(entry.roas, `${at}.roas`),
          cpa: optDrawInterval(entry.cpa, `${at}.cpa`),
        };
      }),
    };
  }
  if (u.bootstrap !== undefined) {
    const b = obj(u.bootstrap, `${path}.bootstrap`);
    out.bootstrap = {
      samples: int(b.samples, `${path}.bootstrap.samples`, 1),
      blockLength: int(b.blockLength, `${path}.bootstrap.blockLength`, 1),
      seed: num(b.seed, `${path}.bootstrap.seed`),
      channels: array(b.channels, `${path}.bootstrap.channels`).map((c, i) => {
        const at = `${path}.bootstrap.channels[${i}]`;
        const entry = obj(c, at);
        return {
          name: channel(entry.name, `${at}.name`),
          contribution: optDrawInterval(entry.contribution, `${at}.contribution`),
          roas: optDrawInterval(entry.roas, `${at}.roas`),
          cpa: optDrawInterval(entry.cpa, `${at}.cpa`),
        };
      }),
    };
  }
  return out;
}

function parseChannelDrawIntervals(
  v: Json,
  at: string,
  channel: (x: Json, at: string) => string,
): ChannelDrawIntervals {
  const entry = obj(v, at);
  return {
    name: channel(entry.name, `${at}.name`),
    contribution: optDrawInterval(entry.contribution, `${at}.contribution`),
    roas: optDrawInterval(entry.roas, `${at}.roas`),
    cpa: optDrawInterval(entry.cpa, `${at}.cpa`),
    marginalRoas: optDrawInterval(entry.marginalRoas, `${at}.marginalRoas`),
    effectShare: optDrawInterval(entry.effectShare, `${at}.effectShare`),
  };
}

/** The draws, by column, each column as long as `count`, in the model's order of terms. */
function parseDraws(v: Json, path: string, model: MediaMixModel): ModelDraws {
  const d = obj(v, path);
  const count = int(d.count, `${path}.count`, 1);
  const column = (x: Json, at: string): number[] => numbers(x, at, count);
  const optColumn = (x: Json, at: string): number[] | undefined =>
    x === undefined ? undefined : column(x, at);
  const perTerm = (x: Json, at: string, terms: number): number[][] => {
    const list = array(x, at);
    if (list.length !== terms)
      throw new ModelFormatError(at, `expected ${terms} columns, got ${list.length}`);
    return list.map((c, j) => column(c, `${at}[${j}]`));
  };
  const channels = array(d.channels, `${path}.channels`);
  if (channels.length !== model.channels.length) {
    throw new ModelFormatError(
      `${path}.channels`,
      `expected ${model.channels.length} channels, got ${channels.length}`,
    );
  }
  const out: ModelDraws = {
    count,
    intercept: column(d.intercept, `${path}.intercept`),
    baseline: perTerm(d.baseline, `${path}.baseline`, model.baseline.length),
    channels: channels.map((c, i) => {
      const at = `${path}.channels[${i}]`;
      const entry = obj(c, at);
      const a = obj(entry.adstock, `${at}.adstock`);
      const s = obj(entry.saturation, `${at}.saturation`);
      const adstock: ModelDraws['channels'][number]['adstock'] = {};
      const saturation: ModelDraws['channels'][number]['saturation'] = {};
      for (const key of ['theta', 'shape', 'scale'] as const) {
        const values = optColumn(a[key], `${at}.adstock.${key}`);
        if (values) adstock[key] = values;
      }
      for (const key of ['alpha', 'gamma', 'inflexion', 'lam', 'scale'] as const) {
        const values = optColumn(s[key], `${at}.saturation.${key}`);
        if (values) saturation[key] = values;
      }
      return { coefficient: column(entry.coefficient, `${at}.coefficient`), adstock, saturation };
    }),
    interactions: perTerm(d.interactions, `${path}.interactions`, model.interactions.length),
  };
  return out;
}

function numberRecord(v: Json, path: string): Record<string, number> {
  const o = obj(v, path);
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(o)) out[key] = num(value, `${path}.${key}`);
  return out;
}

function parseSelection(v: Json, path: string): SearchProvenance['selection'] {
  if (typeof v === 'string') return str(v, path);
  const o = obj(v, path);
  return { nrmseTolerance: num(o.nrmseTolerance, `${path}.nrmseTolerance`) };
}

/** The search fields, which schema 2 kept at the top of its untyped provenance. */
function parseSearchProvenance(v: Record<string, Json>, path: string): SearchProvenance {
  const search: SearchProvenance = {
    algorithm: str(v.algorithm, `${path}.algorithm`),
    iterations: int(v.iterations, `${path}.iterations`, 1),
    trials: int(v.trials, `${path}.trials`, 1),
    populationSize: int(v.populationSize, `${path}.populationSize`, 1),
    candidates: int(v.candidates, `${path}.candidates`, 1),
    paretoFrontSize: int(v.paretoFrontSize, `${path}.paretoFrontSize`, 0),
    selection: parseSelection(v.selection, `${path}.selection`),
    objectives: numberRecord(v.objectives, `${path}.objectives`),
    hyperparameters: numberRecord(v.hyperparameters, `${path}.hyperparameters`),
  };
  if (v.posterior !== undefined) {
    const p = obj(v.posterior, `${path}.posterior`);
    search.posterior = {
      chains: int(p.chains, `${path}.posterior.chains`, 1),
      steps: int(p.steps, `${path}.posterior.steps`, 1),
      priorStrength: num(p.priorStrength, `${path}.posterior.priorStrength`),
      draws: int(p.draws, `${path}.posterior.draws`, 0),
      acceptance: num(p.acceptance, `${path}.posterior.acceptance`),
    };
  }
  return search;
}

function parseProvenance(v: Json, schemaVersion: number): ModelProvenance {
  const p = obj(v, 'provenance');
  if (schemaVersion === 2) {
    // Schema 2 wrote the search's settings at the top and no engine version.
    return {
      engine: { name: '@mmm/core', version: 'unknown (schema 2)' },
      seed: num(p.seed, 'provenance.seed'),
      search: parseSearchProvenance(p, 'provenance'),
    };
  }
  const engine = obj(p.engine, 'provenance.engine');
  const out: ModelProvenance = {
    engine: {
      name: str(engine.name, 'provenance.engine.name'),
      version: str(engine.version, 'provenance.engine.version'),
    },
    seed: num(p.seed, 'provenance.seed'),
    search: parseSearchProvenance(obj(p.search, 'provenance.search'), 'provenance.search'),
  };
  if (p.dataset !== undefined) {
    const d = obj(p.dataset, 'provenance.dataset');
    out.dataset = {
      id: str(d.id, 'provenance.dataset.id'),
      contentHash: str(d.contentHash, 'provenance.dataset.contentHash'),
    };
  }
  if (p.config !== undefined) out.config = obj(p.config, 'provenance.config');
  return out;
}

/** Validate a parsed JSON value (or JSON text) as a MediaMixModel (schema 2, 3 or 4; 4 out). */
export function parseModel(input: string | Json): MediaMixModel {
  let raw: Json = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input) as Json;
    } catch (error) {
      throw new ModelFormatError('(root)', `not JSON (${(error as Error).message})`);
    }
  }
  const root = obj(raw, '(root)');
  const schemaVersion = root.schemaVersion;
  if (schemaVersion !== MODEL_SCHEMA_VERSION && schemaVersion !== 3 && schemaVersion !== 2) {
    throw new ModelFormatError(
      'schemaVersion',
      `expected 2, 3 or ${MODEL_SCHEMA_VERSION}, got ${describe(schemaVersion)}`,
    );
  }
  const kpi = obj(root.kpi, 'kpi');
  const periods = obj(root.periods, 'periods');
  const count = int(periods.count, 'periods.count', 1);
  const trainEnd = int(periods.trainEnd, 'periods.trainEnd', 1);
  if (trainEnd > count) {
    throw new ModelFormatError('periods.trainEnd', `${trainEnd} is beyond periods.count ${count}`);
  }
  let dates: string[] | undefined;
  if (periods.dates !== undefined) {
    if (!Array.isArray(periods.dates) || periods.dates.length !== count) {
      throw new ModelFormatError('periods.dates', `expected ${count} dates`);
    }
    dates = periods.dates.map((d, i) => str(d, `periods.dates[${i}]`));
  }
  const adstock = oneOf(root.adstock, 'adstock', ['geometric', 'weibull_cdf', 'weibull_pdf']);
  if (!Array.isArray(root.baseline)) {
    throw new ModelFormatError('baseline', `expected an array, got ${describe(root.baseline)}`);
  }
  const baseline: BaselineTerm[] = root.baseline.map((b, i) => {
    const p = `baseline[${i}]`;
    const term = obj(b, p);
    return {
      name: str(term.name, `${p}.name`),
      group: oneOf(term.group, `${p}.group`, [
        'trend',
        'seasonality',
        'holiday',
        'control',
        'organic',
        'other',
      ]),
      coefficient: num(term.coefficient, `${p}.coefficient`),
      values: numbers(term.values, `${p}.values`, count),
      ...(term.extension === undefined
        ? {}
        : { extension: parseExtension(term.extension, `${p}.extension`) }),
    };
  });
  if (!Array.isArray(root.channels) || root.channels.length === 0) {
    throw new ModelFormatError('channels', 'expected a non-empty array');
  }
  const names = new Set<string>();
  const channels: ModelChannel[] = root.channels.map((c, i) => {
    const p = `channels[${i}]`;
    const ch = obj(c, p);
    const name = str(ch.name, `${p}.name`);
    if (names.has(name)) throw new ModelFormatError(`${p}.name`, `channel '${name}' appears twice`);
    names.add(name);
    const ad = obj(ch.adstock, `${p}.adstock`);
    const channelAdstock =
      adstock === 'geometric'
        ? { theta: num(ad.theta, `${p}.adstock.theta`) }
        : {
            shape: num(ad.shape, `${p}.adstock.shape`),
            scale: num(ad.scale, `${p}.adstock.scale`),
            windowLength: optNum(ad.windowLength, `${p}.adstock.windowLength`),
            maxLag: ad.maxLag === undefined ? undefined : int(ad.maxLag, `${p}.adstock.maxLag`, 0),
          };
    if (channelAdstock.windowLength === undefined) delete channelAdstock.windowLength;
    if (channelAdstock.maxLag === undefined) delete channelAdstock.maxLag;
    return {
      name,
      kind: oneOf(ch.kind, `${p}.kind`, ['paid', 'organic']),
      coefficient: num(ch.coefficient, `${p}.coefficient`),
      adstock: channelAdstock,
      saturation: parseSaturation(ch.saturation, `${p}.saturation`),
      history: numbers(ch.history, `${p}.history`, count),
      meanSpend: num(ch.meanSpend, `${p}.meanSpend`),
      costPerUnit: positive(ch.costPerUnit, `${p}.costPerUnit`),
      carryoverMean: num(ch.carryoverMean, `${p}.carryoverMean`),
    };
  });
  if (!Array.isArray(root.interactions)) {
    throw new ModelFormatError(
      'interactions',
      `expected an array, got ${describe(root.interactions)}`,
    );
  }
  const interactions: InteractionTerm[] = root.interactions.map((x, i) => {
    const p = `interactions[${i}]`;
    const term = obj(x, p);
    const channel = (v: Json, path: string): string => {
      const name = str(v, path);
      if (!names.has(name)) throw new ModelFormatError(path, `no channel named '${name}'`);
      return name;
    };
    return {
      a: channel(term.a, `${p}.a`),
      b: channel(term.b, `${p}.b`),
      coefficient: num(term.coefficient, `${p}.coefficient`),
    };
  });
  const m = obj(root.metrics, 'metrics');
  const metrics: MediaMixModel['metrics'] = {
    rsq: num(m.rsq, 'metrics.rsq'),
    adjustedRsq: num(m.adjustedRsq, 'metrics.adjustedRsq'),
    nrmse: num(m.nrmse, 'metrics.nrmse'),
    mape: num(m.mape, 'metrics.mape'),
    decompRssd: num(m.decompRssd, 'metrics.decompRssd'),
  };
  if (m.holdout !== undefined) {
    const h = obj(m.holdout, 'metrics.holdout');
    metrics.holdout = {
      periods: int(h.periods, 'metrics.holdout.periods', 1),
      rsq: num(h.rsq, 'metrics.holdout.rsq'),
      nrmse: num(h.nrmse, 'metrics.holdout.nrmse'),
      mape: num(h.mape, 'metrics.holdout.mape'),
    };
  }
  const model: MediaMixModel = {
    schemaVersion: MODEL_SCHEMA_VERSION,
    kpi: {
      name: str(kpi.name, 'kpi.name'),
      type: oneOf(kpi.type, 'kpi.type', ['revenue', 'conversions']),
    },
    adstock,
    periods: { count, trainEnd },
    intercept: num(root.intercept, 'intercept'),
    lambda: num(root.lambda, 'lambda'),
    baseline,
    channels,
    interactions,
    actual: numbers(root.actual, 'actual', count),
    metrics,
  };
  if (periods.periodDays !== undefined) {
    model.periods.periodDays = int(periods.periodDays, 'periods.periodDays', 1);
  }
  if (dates) model.periods.dates = dates;
  // Schema 2 had no uncertainty; 3 had the posterior and bootstrap parts, read alike.
  if (schemaVersion !== 2 && root.uncertainty !== undefined) {
    model.uncertainty = parseUncertainty(root.uncertainty, 'uncertainty', model);
  }
  if (root.provenance !== undefined) {
    model.provenance = parseProvenance(root.provenance, schemaVersion);
  }
  return model;
}
