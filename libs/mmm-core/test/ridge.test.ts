import {
  choleskySolve,
  createBoxQpWorkspace,
  createGlmnetWorkspace,
  createRidgeSystem,
  lambdaFromHyperparameter,
  lambdaMaxSequence,
  lambdaPath,
  ridgeFit,
  robynLambdaMax,
  solveBoxQp,
  solveRidgeSystemGlmnet,
  generateSyntheticDataset,
} from '../src';

/** A small deterministic generator for test matrices. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

function randomSpd(p: number, rnd: () => number): Float64Array {
  const m = Array.from({ length: p * p }, rnd);
  const a = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      let s = i === j ? 0.1 : 0;
      for (let k = 0; k < p; k++) s += m[i * p + k] * m[j * p + k];
      a[i * p + j] = s;
    }
  return a;
}

function objective(a: Float64Array, b: Float64Array, x: Float64Array, p: number): number {
  let v = 0;
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += a[i * p + j] * x[j];
    v += 0.5 * x[i] * s - b[i] * x[i];
  }
  return v;
}

describe('Cholesky', () => {
  test('solves a symmetric positive definite system', () => {
    const x = choleskySolve([4, 2, 2, 3], [2, 1], 2);
    expect(x[0]).toBeCloseTo(0.5, 14);
    expect(x[1]).toBeCloseTo(0, 14);
  });

  test('rejects a matrix that is not positive definite', () => {
    expect(() => choleskySolve([1, 2, 2, 1], [1, 1], 2)).toThrow(
      'choleskySolve: matrix is not positive definite',
    );
  });
});

describe('box-constrained QP (active set)', () => {
  test('finds the same optimum as enumerating every bound pattern', () => {
    const rnd = lcg(7);
    const p = 5;
    const ws = createBoxQpWorkspace(p);
    for (let trial = 0; trial < 40; trial++) {
      const a = randomSpd(p, rnd);
      const b = Float64Array.from({ length: p }, rnd);
      const lower = Float64Array.from({ length: p }, (_, j) => (j % 2 === 0 ? 0 : -Infinity));
      const upper = Float64Array.from({ length: p }, (_, j) => (j === 1 ? 0.2 : Infinity));
      const x = new Float64Array(p);
      expect(solveBoxQp(a, b, p, lower, upper, x, ws)).toBeGreaterThan(0);
      // Brute force: each variable free, at lower or at upper; keep the best feasible.
      let best = Infinity;
      const patterns = 3 ** p;
      for (let code = 0; code < patterns; code++) {
        const state = Array.from({ length: p }, (_, j) => Math.floor(code / 3 ** j) % 3);
        if (
          state.some(
            (s, j) =>
              (s === 1 && !Number.isFinite(lower[j])) || (s === 2 && !Number.isFinite(upper[j])),
          )
        )
          continue;
        const free = state.map((s, j) => (s === 0 ? j : -1)).filter((j) => j >= 0);
        const z = new Float64Array(p);
        state.forEach((s, j) => (z[j] = s === 1 ? lower[j] : s === 2 ? upper[j] : 0));
        if (free.length > 0) {
          const sub = free.flatMap((i) => free.map((j) => a[i * p + j]));
          const rhs = free.map(
            (i) =>
              b[i] - state.reduce((acc, s, j) => (s !== 0 ? acc + a[i * p + j] * z[j] : acc), 0),
          );
          const sol = choleskySolve(sub, rhs, free.length);
          free.forEach((j, k) => (z[j] = sol[k]));
        }
        if (z.some((v, j) => v < lower[j] - 1e-12 || v > upper[j] + 1e-12)) continue;
        best = Math.min(best, objective(a, b, z, p));
      }
      expect(objective(a, b, x, p)).toBeCloseTo(best, 10);
      x.forEach((v, j) => {
        expect(v).toBeGreaterThanOrEqual(lower[j]);
        expect(v).toBeLessThanOrEqual(upper[j]);
      });
    }
  });

  test('returns the unconstrained solution when no bound binds', () => {
    const a = Float64Array.from([2, 0, 0, 2]);
    const x = new Float64Array(2);
    solveBoxQp(
      a,
      Float64Array.from([2, 4]),
      2,
      new Float64Array(2),
      Float64Array.from([9, 9]),
      x,
      createBoxQpWorkspace(2),
    );
    expect(x[0]).toBeCloseTo(1, 14);
    expect(x[1]).toBeCloseTo(2, 14);
  });
});

describe('ridge with glmnet scaling', () => {
  const rnd = lcg(11);
  const n = 60;
  const cols = [0, 1, 2].map((j) =>
    Float64Array.from({ length: n }, () => (j + 1) * 10 * rnd() + 5 * j),
  );
  const y = Float64Array.from(
    { length: n },
    (_, t) => 100 + 3 * cols[0][t] - 2 * cols[1][t] + 0.5 * cols[2][t] + rnd(),
  );

  test('lambda 0 without bounds is ordinary least squares', () => {
    const fit = ridgeFit(cols, y, { lambda: 0 });
    expect(fit.coefficients[0]).toBeCloseTo(3, 1);
    expect(fit.coefficients[1]).toBeCloseTo(-2, 1);
    // Residuals are orthogonal to every column and sum to zero.
    for (const c of cols) {
      let s = 0;
      for (let t = 0; t < n; t++) s += (y[t] - fit.fitted[t]) * (c[t] - fit.means[cols.indexOf(c)]);
      expect(Math.abs(s)).toBeLessThan(1e-6);
    }
  });

  test("the solution solves the penalised normal equations (1/n) Xc'Xc + (lambda/s_y) diag(s^2)", () => {
    const lambda = 3;
    const fit = ridgeFit(cols, y, { lambda });
    let ym = 0;
    for (const v of y) ym += v / n;
    let sy = 0;
    for (const v of y) sy += (v - ym) ** 2 / n;
    sy = Math.sqrt(sy);
    for (let i = 0; i < 3; i++) {
      let g = 0;
      for (let t = 0; t < n; t++) {
        let r = y[t] - ym;
        for (let j = 0; j < 3; j++) r -= fit.coefficients[j] * (cols[j][t] - fit.means[j]);
        g += ((cols[i][t] - fit.means[i]) * r) / n;
      }
      expect(g).toBeCloseTo((lambda / sy) * fit.sds[i] ** 2 * fit.coefficients[i], 8);
    }
  });

  test('non-negative limits zero a coefficient that wants to be negative (and refit the rest)', () => {
    const fit = ridgeFit(cols, y, { lambda: 0.1, lower: [0, 0, 0] });
    expect(fit.coefficients[1]).toBe(0);
    expect(fit.coefficients[0]).toBeGreaterThan(0);
    const two = ridgeFit([cols[0], cols[2]], y, { lambda: 0.1 });
    expect(fit.coefficients[0]).toBeCloseTo(two.coefficients[0], 8);
    expect(fit.coefficients[2]).toBeCloseTo(two.coefficients[1], 8);
  });

  test('a constant column gets coefficient 0, as glmnet', () => {
    const fit = ridgeFit([cols[0], new Float64Array(n).fill(3)], y, { lambda: 1 });
    expect(fit.coefficients[1]).toBe(0);
  });

  test('a negative intercept is refitted away under the non_negative rule', () => {
    const shifted = y.map((v) => v - 10000);
    const fit = ridgeFit(cols, shifted, { lambda: 1, interceptSign: 'non_negative' });
    expect(fit.interceptDropped).toBe(true);
    expect(fit.intercept).toBe(0);
    const free = ridgeFit(cols, shifted, { lambda: 1, interceptSign: 'free' });
    expect(free.intercept).toBeLessThan(0);
  });

  test('glmnet replay converges to the exact optimum as thresh shrinks', () => {
    const sys = createRidgeSystem(3);
    const fitFor = (solver: 'exact' | number) => {
      const exact = ridgeFit(cols, y, { lambda: 2, lower: [0, 0, 0] });
      if (solver === 'exact') return exact.coefficients;
      // Fill the standardised system as ridgeFit does, then run glmnet's iterations.
      let ym = 0;
      for (const v of y) ym += v / n;
      let vy = 0;
      let yy = 0;
      for (const v of y) {
        vy += (v - ym) ** 2 / n;
        yy += (v * v) / n;
      }
      for (let j = 0; j < 3; j++) {
        sys.sd[j] = exact.sds[j];
        sys.scaledMean[j] = exact.means[j] / exact.sds[j];
        sys.lower[j] = 0;
        sys.upper[j] = Infinity;
        let r = 0;
        for (let t = 0; t < n; t++)
          r += ((cols[j][t] - exact.means[j]) / exact.sds[j]) * (y[t] - ym);
        sys.cross[j] = r / n;
        for (let k = 0; k < 3; k++) {
          let s = 0;
          for (let t = 0; t < n; t++)
            s +=
              ((cols[j][t] - exact.means[j]) / exact.sds[j]) *
              ((cols[k][t] - exact.means[k]) / exact.sds[k]);
          sys.gram[j * 3 + k] = s / n;
        }
      }
      solveRidgeSystemGlmnet(
        sys,
        createGlmnetWorkspace(3),
        { yMean: ym, ySd: Math.sqrt(vy), yMeanSquare: yy },
        2,
        true,
        'free',
        { thresh: solver },
      );
      return sys.beta.slice(0, 3);
    };
    const exact = fitFor('exact');
    const loose = fitFor(1e-7);
    const tight = fitFor(1e-20);
    for (let j = 0; j < 3; j++) {
      expect(Math.abs(tight[j] - exact[j])).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(exact[j])),
      );
      expect(Math.abs(loose[j] - exact[j])).toBeLessThanOrEqual(
        1e-2 * Math.max(1, Math.abs(exact[j])),
      );
    }
  });
});

describe('lambda as Robyn builds it', () => {
  test('lambda_hp 0 and 1 give lambda_min = 1e-4 lambda_max and lambda_max', () => {
    expect(lambdaFromHyperparameter(0, 5000)).toBeCloseTo(0.5, 12);
    expect(lambdaFromHyperparameter(1, 5000)).toBe(5000);
  });

  test('lambda_max is 0.1 x max |sum(scaled x * y)| / (0.001 n)', () => {
    const x = [1, 2, 3, 4];
    const y = [2, 4, 6, 9];
    // sd of x (population) = sqrt(1.25); scaled x = (x - 2.5) / sqrt(1.25)
    const sxy = x.reduce((s, v, i) => s + ((v - 2.5) / Math.sqrt(1.25)) * y[i], 0);
    expect(lambdaMaxSequence([x, [5, 5, 5, 5]], y)).toBeCloseTo(Math.abs(sxy) / 0.004, 9);
    expect(robynLambdaMax([x], y)).toBeCloseTo((0.1 * Math.abs(sxy)) / 0.004, 9);
  });

  test('the path is log-spaced from lambda_max down to ratio x lambda_max', () => {
    const path = lambdaPath(100, 5, 1e-4);
    expect(path[0]).toBeCloseTo(100, 10);
    expect(path[4]).toBeCloseTo(0.01, 12);
    expect(path[1] / path[0]).toBeCloseTo(path[2] / path[1], 12);
  });

  test('works on a synthetic dataset', () => {
    const ds = generateSyntheticDataset({ periods: 52 });
    const cols = ds.spendColumns.map((c) => ds.columns[c]);
    expect(robynLambdaMax(cols, ds.columns.revenue)).toBeGreaterThan(0);
  });
});
