/**
 * A model's draws as whole models: each draw replaces the intercept, the coefficients and the
 * adstock and saturation parameters; the data (histories, baseline columns, actual KPI) are
 * shared with the model, not copied. The allocator and the reports evaluate a scenario under
 * each of them for its interval (allocate/evaluate.ts, allocationIntervals).
 */
import type { MediaMixModel, ModelChannel } from './model';

/** The model under draw `i` of its draws (without uncertainty of its own). */
export function modelAtDraw(model: MediaMixModel, i: number): MediaMixModel {
  const draws = model.uncertainty?.draws;
  if (!draws || !(i >= 0 && i < draws.count)) {
    throw new RangeError(`the model has no draw ${i} (it keeps ${draws?.count ?? 0})`);
  }
  const channels: ModelChannel[] = model.channels.map((channel, c) => {
    const d = draws.channels[c];
    const a = d.adstock;
    const s = d.saturation;
    const saturation: ModelChannel['saturation'] =
      channel.saturation.type === 'hill'
        ? {
            type: 'hill',
            alpha: s.alpha?.[i] ?? channel.saturation.alpha,
            gamma: s.gamma?.[i] ?? channel.saturation.gamma,
            inflexion: s.inflexion?.[i] ?? channel.saturation.inflexion,
          }
        : {
            type: 'logistic',
            lam: s.lam?.[i] ?? channel.saturation.lam,
            scale: s.scale?.[i] ?? channel.saturation.scale,
          };
    const adstock = { ...channel.adstock };
    if (a.theta) adstock.theta = a.theta[i];
    if (a.shape) adstock.shape = a.shape[i];
    if (a.scale) adstock.scale = a.scale[i];
    return { ...channel, coefficient: d.coefficient[i], adstock, saturation };
  });
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { uncertainty: _uncertainty, ...rest } = model;
  return {
    ...rest,
    intercept: draws.intercept[i],
    baseline: model.baseline.map((term, j) => ({ ...term, coefficient: draws.baseline[j][i] })),
    channels,
    interactions: model.interactions.map((term, k) => ({
      ...term,
      coefficient: draws.interactions[k][i],
    })),
  };
}

/** Every draw of the model as a model; empty when it keeps none (schema 2 and 3 models). */
export function modelDraws(model: MediaMixModel): MediaMixModel[] {
  const count = model.uncertainty?.draws?.count ?? 0;
  return Array.from({ length: count }, (_, i) => modelAtDraw(model, i));
}
