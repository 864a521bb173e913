import type { ControlSpec, CoefficientSign, EventDate, MediaMixTableSpec } from './design';

/**
 * A normalized dataset table by column roles: the shape of the platform's dataset contract
 * (libs/platform contracts/datasets.ts, StoredTable), restated here because the core imports
 * nothing of the project; a stored table is assignable to it as it is.
 */
export interface DatasetTableColumns {
  /** ISO dates (YYYY-MM-DD), one per period. */
  dates: readonly string[];
  columns: ReadonlyArray<{
    name: string;
    role: 'KPI' | 'PAID_SPEND' | 'PAID_EXPOSURE' | 'ORGANIC' | 'CONTROL';
    /** The paid or organic channel of a spend, exposure or organic column. */
    channel: string | null;
    values: ArrayLike<number>;
  }>;
}

/** What to model of a dataset table; every field is optional. */
export interface DatasetModelSpec {
  /** Paid channels to model (default: all of the table's, in its order). */
  channels?: readonly string[];
  /** Coefficient sign per control (default 'default': unbounded). */
  controlSigns?: Readonly<Record<string, CoefficientSign>>;
  events?: readonly EventDate[];
  fourierOrder?: number;
  weeklyOrder?: number;
}

/**
 * The engine's table for a dataset table: the KPI; each paid channel modelled on its exposure
 * column when it has one (spend kept for shares, ROAS and curves; Robyn's paid_media_vars with
 * paid_media_spends), else on its spend; organic channels; controls. Throws RangeError naming
 * a channel or control the table does not have.
 */
export function mediaMixTableFromDataset(
  table: DatasetTableColumns,
  spec: DatasetModelSpec = {},
): MediaMixTableSpec {
  const kpi = table.columns.filter((c) => c.role === 'KPI');
  if (kpi.length !== 1) {
    throw new RangeError(`the table has ${kpi.length} KPI columns; exactly one is needed`);
  }
  const byChannel = (role: 'PAID_SPEND' | 'PAID_EXPOSURE', channel: string) =>
    table.columns.find((c) => c.role === role && c.channel === channel);
  const paidNames: string[] = [];
  for (const c of table.columns) {
    if (c.role === 'PAID_SPEND' && c.channel !== null) paidNames.push(c.channel);
  }
  const chosen = spec.channels ?? paidNames;
  for (const name of chosen) {
    if (!paidNames.includes(name)) {
      throw new RangeError(
        `channel '${name}' is not a paid channel of the dataset (${paidNames.join(', ')})`,
      );
    }
  }
  const controls = table.columns.filter((c) => c.role === 'CONTROL');
  for (const name of Object.keys(spec.controlSigns ?? {})) {
    if (!controls.some((c) => c.name === name)) {
      throw new RangeError(`'${name}' is not a control column of the dataset`);
    }
  }
  return {
    dates: table.dates,
    kpi: kpi[0].values,
    paid: chosen.map((name) => {
      const spend = byChannel('PAID_SPEND', name)!;
      const exposure = byChannel('PAID_EXPOSURE', name);
      return exposure
        ? { name, values: exposure.values, spend: spend.values }
        : { name, values: spend.values };
    }),
    organic: table.columns
      .filter((c) => c.role === 'ORGANIC')
      .map((c) => ({ name: c.channel ?? c.name, values: c.values })),
    controls: controls.map(
      (c): ControlSpec => ({ name: c.name, values: c.values, sign: spec.controlSigns?.[c.name] }),
    ),
    events: spec.events,
    fourierOrder: spec.fourierOrder,
    weeklyOrder: spec.weeklyOrder,
  };
}
