import { adjustedRsq, decompRssd, mape, nrmse, rsq } from '../src';

describe('fit metrics', () => {
  const y = [10, 12, 8, 14, 6];
  const f = [11, 12, 9, 13, 5];

  test('R2 is 1 - SSE/SST', () => {
    // SSE = 1+0+1+1+1 = 4; mean 10, SST = 0+4+4+16+16 = 40
    expect(rsq(y, f)).toBeCloseTo(0.9, 14);
  });

  test('adjusted R2 follows Robyn get_rsq with the intercept counted by df.int', () => {
    expect(adjustedRsq(y, f, 2, 1)).toBeCloseTo(1 - (0.1 * 4) / 2, 14);
    expect(adjustedRsq(y, f, 2, 0)).toBeCloseTo(1 - (0.1 * 5) / 2, 14);
  });

  test('NRMSE is RMSE over the range of the actuals', () => {
    expect(nrmse(y, f)).toBeCloseTo(Math.sqrt(4 / 5) / 8, 14);
  });

  test('MAPE is a fraction and skips zero actuals', () => {
    expect(mape([10, 0, 20], [11, 5, 18])).toBeCloseTo((0.1 + 0.1) / 2, 14);
  });
});

describe('DECOMP.RSSD', () => {
  test('is the distance between effect shares and spend shares', () => {
    const shares = new Float64Array(2);
    const v = decompRssd([30, 10], [50, 50], true, shares);
    expect(Array.from(shares)).toEqual([0.75, 0.25]);
    expect(v).toBeCloseTo(Math.sqrt(0.25 ** 2 * 2), 14);
  });

  test('penalises channels whose effect share rounds to zero (Robyn rssd_zero_penalty)', () => {
    const plain = decompRssd([1, 0, 0, 3], [1, 1, 1, 1], false);
    expect(decompRssd([1, 0, 0, 3], [1, 1, 1, 1], true)).toBeCloseTo(plain * (1 + 2 / 4), 14);
    // 0.00004 rounds to 0 at 4 decimals, 0.00006 does not
    const tiny = decompRssd([0.00004, 0.99996], [1, 1], false);
    expect(decompRssd([0.00004, 0.99996], [1, 1], true)).toBeCloseTo(tiny * 1.5, 14);
    const small = decompRssd([0.00006, 0.99994], [1, 1], false);
    expect(decompRssd([0.00006, 0.99994], [1, 1], true)).toBeCloseTo(small, 14);
  });

  test('is Infinity when every media effect is zero', () => {
    expect(decompRssd([0, 0], [1, 2])).toBe(Infinity);
  });
});
