import { forecast, mape, mediaMixTableFromDataset, type MediaMixModel } from '@mmm/core';
import type { StoredTable } from '@mmm/platform';

/**
 * How a model does on the periods a newer table of its series adds: the table must start with
 * the model's own periods (same dates) and go on; the model forecasts the new periods from the
 * table's media and controls (carryover from the known periods included) and is scored by MAPE
 * against the KPI there. Null when the table does not extend the model's periods.
 */
export function scoreNewPeriods(
  model: MediaMixModel,
  newer: StoredTable,
): { newPeriods: number; mape: number } | null {
  const dates = model.periods.dates;
  const n = model.periods.count;
  if (!dates || newer.dates.length <= n) return null;
  for (let t = 0; t < n; t++) if (newer.dates[t] !== dates[t]) return null;
  const paid = model.channels.filter((c) => c.kind === 'paid').map((c) => c.name);
  const spec = mediaMixTableFromDataset(newer, { channels: paid });
  const h = newer.dates.length - n;
  const tail = (values: ArrayLike<number>) => Array.from(values).slice(n);
  const media: Record<string, number[]> = {};
  for (const c of [...spec.paid, ...(spec.organic ?? [])]) media[c.name] = tail(c.values);
  const baseline: Record<string, number[]> = {};
  for (const c of spec.controls ?? []) {
    if (model.baseline.some((term) => term.name === c.name)) baseline[c.name] = tail(c.values);
  }
  const predicted = forecast(model, { periods: h, media, baseline }).fitted;
  return { newPeriods: h, mape: mape(Float64Array.from(tail(spec.kpi)), predicted) };
}
