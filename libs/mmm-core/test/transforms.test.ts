import {
  convolveAdstockInto,
  geometricAdstock,
  geometricAdstockInto,
  hillInflexion,
  hillSaturation,
  hillValue,
  interaction,
  logisticSaturation,
  roundHalfEven,
  weibullAdstock,
  weibullScaleInPeriods,
  weibullWeightsInto,
} from '../src';

// Reference values: Robyn 3.12.1's own R functions (R/R/transformation.R: adstock_geometric,
// adstock_weibull, saturation_hill) evaluated in R 4.2 on this series.
const x = [100, 0, 50, 0, 0, 200, 10, 0, 0, 30];
const robyn = {
  geometric05: [100, 50, 75, 37.5, 18.75, 209.375, 114.6875, 57.34375, 28.671875, 44.3359375],
  cdf15_03: [
    100, 88.249690258459552, 111.96791774512079, 76.490497308643171, 42.890616909472271,
    219.12619630521382, 192.92151750047242, 134.27879049754145, 71.165236763594081,
    57.073125371550269,
  ],
  pdf25_03: [
    30.325204289025148, 74.229338557574579, 115.16260214451258, 129.29895569088285,
    111.02579924295154, 135.97063144131607, 192.05266842502959, 224.46373943123817,
    199.76836292834966, 141.58097128725601,
  ],
  pdf05_05: [
    100, 53.646366791605736, 84.214917018754704, 50.017173304053401, 33.12133191824428,
    222.53827487656093, 132.46023271701586, 83.498249525161725, 55.290321550779247,
    66.463715232195867,
  ],
  hill22_04: [
    0.59631515732499241, 0.2432783978126129, 0.43960489407140563, 0.14582989467914489,
    0.03582546698613101, 0.88245013019714635, 0.66632825375827909, 0.30294794745532316,
    0.086414389144734843, 0.19792891254170375,
  ],
  hill22_04Inflexion: 83.75,
};

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(
      rel * Math.max(1, Math.abs(expected[i])),
    );
  }
}

describe('geometric adstock', () => {
  test('matches Robyn adstock_geometric', () => {
    expectClose(geometricAdstock(x, 0.5), robyn.geometric05);
  });

  test('theta 0 is the identity', () => {
    expectClose(geometricAdstock(x, 0), x, 0);
  });

  test('all-zero spend stays zero', () => {
    expectClose(geometricAdstock([0, 0, 0], 0.7), [0, 0, 0], 0);
  });

  test('one period returns the period itself', () => {
    expectClose(geometricAdstock([42], 0.9), [42], 0);
  });

  test('writes into a caller buffer and only the first n rows', () => {
    const out = new Float64Array(5).fill(-1);
    geometricAdstockInto([1, 1, 1, 1, 1], 0.5, out, 3);
    expectClose(out, [1, 1.5, 1.75, -1, -1], 0);
  });

  test('a constant spend converges to spend / (1 - theta)', () => {
    const d = geometricAdstock(new Array(400).fill(10), 0.8);
    expect(d[399]).toBeCloseTo(50, 10);
  });
});

describe('Weibull adstock', () => {
  test('matches Robyn adstock_weibull CDF', () => {
    expectClose(weibullAdstock(x, 'cdf', { shape: 1.5, scale: 0.3 }), robyn.cdf15_03);
  });

  test('matches Robyn adstock_weibull PDF with a lagged peak (shape 2.5)', () => {
    expectClose(weibullAdstock(x, 'pdf', { shape: 2.5, scale: 0.3 }), robyn.pdf25_03);
  });

  test('matches Robyn adstock_weibull PDF with a decaying density (shape 0.5)', () => {
    expectClose(weibullAdstock(x, 'pdf', { shape: 0.5, scale: 0.5 }), robyn.pdf05_05);
  });

  test('scale is a fraction of the window length, rounded as R rounds', () => {
    // quantile(1:10, 0.3) = 3.7 -> 4; quantile(1:6, 0.5) = 3.5 -> 4 (half to even); 1:4 at 0.5 -> 2.5 -> 2
    expect(weibullScaleInPeriods(0.3, 10)).toBe(4);
    expect(weibullScaleInPeriods(0.5, 6)).toBe(4);
    expect(weibullScaleInPeriods(0.5, 4)).toBe(2);
    expect(roundHalfEven(0.5)).toBe(0);
    expect(roundHalfEven(1.5)).toBe(2);
  });

  test('shape 0 or scale 0 means no adstock, as Robyn', () => {
    expectClose(weibullAdstock(x, 'cdf', { shape: 0, scale: 0.3 }), x, 0);
    expectClose(weibullAdstock(x, 'pdf', { shape: 2, scale: 0 }), x, 0);
  });

  test('max lag 0 keeps only the immediate weight', () => {
    expectClose(weibullAdstock(x, 'cdf', { shape: 1.5, scale: 0.3, maxLag: 0 }), x, 0);
    const w = new Float64Array(10);
    weibullWeightsInto('pdf', { shape: 2.5, scale: 0.3, windowLength: 10 }, w);
    const lag0 = weibullAdstock(x, 'pdf', { shape: 2.5, scale: 0.3, maxLag: 0 });
    expectClose(
      lag0,
      x.map((v) => v * w[0]),
    );
  });

  test('a max lag truncates the weights computed on the full window', () => {
    const full = weibullAdstock(x, 'cdf', { shape: 1.5, scale: 0.3 });
    const two = weibullAdstock(x, 'cdf', { shape: 1.5, scale: 0.3, maxLag: 2 });
    expectClose(two.subarray(0, 3), full.subarray(0, 3));
    expect(two[5]).toBeLessThan(full[5]);
  });

  test('all-zero spend and one period', () => {
    expectClose(weibullAdstock([0, 0, 0, 0], 'pdf', { shape: 2, scale: 0.5 }), [0, 0, 0, 0], 0);
    expectClose(weibullAdstock([7], 'cdf', { shape: 1, scale: 0.5 }), [7], 0);
  });

  test('convolution with no weights is the identity', () => {
    const out = new Float64Array(3);
    convolveAdstockInto([1, 2, 3], new Float64Array(0), 0, out);
    expectClose(out, [1, 2, 3], 0);
  });
});

describe('Hill saturation', () => {
  test('matches Robyn saturation_hill (3.12: inflexion = gamma x max)', () => {
    const { saturated, inflexion } = hillSaturation(robyn.geometric05, 2.2, 0.4);
    expect(inflexion).toBeCloseTo(robyn.hill22_04Inflexion, 12);
    expectClose(saturated, robyn.hill22_04);
  });

  test('range mode interpolates between min and max (Robyn before 3.12)', () => {
    expect(hillInflexion([10, 20, 110], 0.25, 'range')).toBeCloseTo(35, 12);
    expect(hillInflexion([10, 20, 110], 0.25, 'max')).toBeCloseTo(27.5, 12);
  });

  test('alpha 1 is the Michaelis-Menten curve x / (x + inflexion)', () => {
    const { saturated, inflexion } = hillSaturation([1, 2, 4], 1, 0.5);
    expect(inflexion).toBe(2);
    expectClose(saturated, [1 / 3, 0.5, 4 / 6]);
  });

  test('is one half at the inflexion for any alpha', () => {
    for (const alpha of [0.5, 1, 2, 3]) expect(hillValue(5, alpha, 5)).toBeCloseTo(0.5, 14);
  });

  test('all-zero spend gives zero, not NaN', () => {
    expectClose(hillSaturation([0, 0, 0], 2, 0.5).saturated, [0, 0, 0], 0);
  });

  test('one period saturates at 1 / (1 + gamma^alpha)', () => {
    const { saturated } = hillSaturation([80], 2, 0.5);
    expect(saturated[0]).toBeCloseTo(1 / (1 + 0.25), 14);
  });

  test('only the window rows are saturated and set the inflexion', () => {
    const { saturated, inflexion } = hillSaturation([1000, 10, 20], 1, 0.5, { start: 1, end: 3 });
    expect(inflexion).toBe(10);
    expect(saturated[0]).toBe(0);
    expectClose(saturated.subarray(1), [0.5, 2 / 3]);
  });
});

describe('logistic saturation and interactions', () => {
  test('logistic follows PyMC-Marketing on spend scaled by its maximum', () => {
    const s = logisticSaturation([0, 50, 100], 2);
    const f = (u: number) => (1 - Math.exp(-2 * u)) / (1 + Math.exp(-2 * u));
    expectClose(s, [0, f(0.5), f(1)]);
  });

  test('logistic of all-zero spend is zero', () => {
    expectClose(logisticSaturation([0, 0], 3), [0, 0], 0);
  });

  test('an interaction term is the row-wise product', () => {
    expectClose(interaction([0.5, 0, 1], [0.2, 0.9, 0.3]), [0.1, 0, 0.3]);
    expect(() => interaction([1], [1, 2])).toThrow('interaction: series lengths differ');
  });
});
