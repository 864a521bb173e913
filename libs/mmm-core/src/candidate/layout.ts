import type { AdstockType } from '../transforms/adstock';

/**
 * The hyperparameter vector of one candidate, as the search encodes a genome:
 *
 *   [ channel_0 params..., channel_1 params..., ..., lambda ]
 *
 * Channels come in the context's order (paid first, then organic). Per channel:
 *   geometric adstock:   <ch>_thetas
 *   weibull_cdf / _pdf:  <ch>_shapes, <ch>_scales
 * then per saturation:
 *   hill:                <ch>_alphas, <ch>_gammas
 *   logistic:            <ch>_lams
 * and one last entry `lambda`, Robyn's lambda_hp in [0, 1] (the penalty is
 * lambda_min + (lambda_max - lambda_min) * lambda_hp). Names follow Robyn's
 * (`tv_thetas`, ...), so Robyn's sorted order can be mapped with `robynOrder`.
 */
export type SaturationType = 'hill' | 'logistic';
export type ParameterKind = 'theta' | 'shape' | 'scale' | 'alpha' | 'gamma' | 'lam' | 'lambda';
export type ParameterBounds = Partial<Record<Exclude<ParameterKind, 'lambda'>, [number, number]>>;

/**
 * Default ranges, from Robyn's guidance (R/R/transformation.R doc comments and
 * R/R/inputs.R hyper_limits / the demo's recommendations):
 * theta [0, 0.8] (TV 0.3-0.8, print/OOH/radio 0.1-0.4, digital 0-0.3 lie inside),
 * alpha [0.5, 3], gamma [0.3, 1], Weibull CDF shape [0.0001, 2], Weibull PDF shape
 * [0.0001, 10], scale [0, 0.1], lambda_hp [0, 1]. Logistic lam [0.1, 10] (PyMC-Marketing's
 * lam acts on spend scaled by its maximum; 0.1 is nearly linear, 10 saturates early).
 */
export function defaultBounds(adstock: AdstockType): Required<ParameterBounds> {
  return {
    theta: [0, 0.8],
    shape: adstock === 'weibull_pdf' ? [0.0001, 10] : [0.0001, 2],
    scale: [0, 0.1],
    alpha: [0.5, 3],
    gamma: [0.3, 1],
    lam: [0.1, 10],
  };
}

export interface ParameterLayout {
  readonly size: number;
  readonly names: readonly string[];
  readonly kinds: readonly ParameterKind[];
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** Index of each channel's first parameter. */
  readonly channelOffset: Int32Array;
  readonly perChannel: number;
  readonly lambdaIndex: number;
  readonly adstock: AdstockType;
  readonly saturation: SaturationType;
  readonly channels: readonly string[];
}

export function adstockKinds(adstock: AdstockType): ParameterKind[] {
  return adstock === 'geometric' ? ['theta'] : ['shape', 'scale'];
}

export function saturationKinds(saturation: SaturationType): ParameterKind[] {
  return saturation === 'hill' ? ['alpha', 'gamma'] : ['lam'];
}

export function createParameterLayout(
  channels: ReadonlyArray<{ name: string; bounds?: ParameterBounds }>,
  adstock: AdstockType,
  saturation: SaturationType,
): ParameterLayout {
  const kindsPer = [...adstockKinds(adstock), ...saturationKinds(saturation)];
  const perChannel = kindsPer.length;
  const size = channels.length * perChannel + 1;
  const names: string[] = [];
  const kinds: ParameterKind[] = [];
  const lower = new Float64Array(size);
  const upper = new Float64Array(size);
  const channelOffset = new Int32Array(channels.length);
  const defaults = defaultBounds(adstock);
  channels.forEach((ch, c) => {
    channelOffset[c] = c * perChannel;
    kindsPer.forEach((k, i) => {
      const idx = c * perChannel + i;
      const kind = k as Exclude<ParameterKind, 'lambda'>;
      const [lo, hi] = ch.bounds?.[kind] ?? defaults[kind];
      if (!(lo <= hi)) throw new RangeError(`${ch.name}_${kind}s: lower bound ${lo} > upper ${hi}`);
      names.push(`${ch.name}_${k}s`);
      kinds.push(k);
      lower[idx] = lo;
      upper[idx] = hi;
    });
  });
  names.push('lambda');
  kinds.push('lambda');
  lower[size - 1] = 0;
  upper[size - 1] = 1;
  return {
    size,
    names,
    kinds,
    lower,
    upper,
    channelOffset,
    perChannel,
    lambdaIndex: size - 1,
    adstock,
    saturation,
    channels: channels.map((c) => c.name),
  };
}

/** Map u in [0,1]^d to the bounds (Robyn: qunif(u, lo, hi)), into `out`. */
export function scaleUnitToBounds(
  layout: ParameterLayout,
  unit: ArrayLike<number>,
  out: Float64Array = new Float64Array(layout.size),
): Float64Array {
  for (let i = 0; i < layout.size; i++) {
    out[i] = layout.lower[i] + (layout.upper[i] - layout.lower[i]) * unit[i];
  }
  return out;
}

/**
 * For each position of Robyn's parameter order (names sorted as R's sort() does for these
 * ASCII names, lambda last), the index in this layout.
 */
export function robynOrder(layout: ParameterLayout): Int32Array {
  const named = layout.names
    .slice(0, layout.lambdaIndex)
    .map((name, i) => ({ name, i }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out = new Int32Array(layout.size);
  named.forEach((e, k) => (out[k] = e.i));
  out[layout.size - 1] = layout.lambdaIndex;
  return out;
}
