import { choleskyFactorInPlace, choleskySolveInPlace } from './cholesky';

/**
 * Box-constrained quadratic program  min 1/2 x'Ax - b'x  s.t.  lower <= x <= upper,
 * A symmetric positive definite (a ridge system always is), solved exactly by a primal
 * active-set method: solve the free variables' normal equations with the others held at
 * their bounds (Cholesky), step towards that solution until a bound blocks, and when the
 * solution is feasible release a bound whose KKT multiplier has the wrong sign.
 *
 * This gives the same optimum as glmnet's coordinate descent with lower.limits and
 * upper.limits (which Robyn uses for non-negative media and [0, 1] prophet coefficients),
 * without a general-purpose solver. A workspace is reused so that a call allocates nothing.
 */
export interface BoxQpWorkspace {
  readonly capacity: number;
  /** -1 held at lower, +1 held at upper, 0 free. */
  readonly state: Int8Array;
  readonly free: Int32Array;
  readonly sub: Float64Array;
  readonly rhs: Float64Array;
  readonly grad: Float64Array;
}

export function createBoxQpWorkspace(capacity: number): BoxQpWorkspace {
  return {
    capacity,
    state: new Int8Array(capacity),
    free: new Int32Array(capacity),
    sub: new Float64Array(capacity * capacity),
    rhs: new Float64Array(capacity),
    grad: new Float64Array(capacity),
  };
}

/**
 * Solve in place into `x` (its content is ignored; the start point is the projection of 0).
 * Returns the number of active-set iterations, or -1 if a subsystem was not positive definite.
 */
export function solveBoxQp(
  a: Float64Array,
  b: Float64Array,
  p: number,
  lower: Float64Array,
  upper: Float64Array,
  x: Float64Array,
  ws: BoxQpWorkspace,
  maxIterations: number = 10 * p + 20,
): number {
  const { state, free, sub, rhs, grad } = ws;
  for (let j = 0; j < p; j++) {
    const lo = lower[j];
    const hi = upper[j];
    if (lo === hi) {
      x[j] = lo;
      state[j] = -1;
    } else {
      x[j] = lo > 0 ? lo : hi < 0 ? hi : 0;
      state[j] = 0;
    }
  }
  let iter = 0;
  for (; iter < maxIterations; iter++) {
    // Free set and its reduced system: A_FF z = b_F - A_FB x_B.
    let nf = 0;
    for (let j = 0; j < p; j++) if (state[j] === 0) free[nf++] = j;
    for (let r = 0; r < nf; r++) {
      const i = free[r];
      const ri = i * p;
      let s = b[i];
      for (let j = 0; j < p; j++) if (state[j] !== 0) s -= a[ri + j] * x[j];
      rhs[r] = s;
      for (let c = 0; c <= r; c++) sub[r * nf + c] = a[ri + free[c]];
    }
    if (nf > 0) {
      if (!choleskyFactorInPlace(sub, nf)) return -1;
      choleskySolveInPlace(sub, nf, rhs);
    }
    // Longest feasible step from x_F towards z.
    let step = 1;
    let block = -1;
    let blockState = 0;
    for (let r = 0; r < nf; r++) {
      const j = free[r];
      const d = rhs[r] - x[j];
      if (d < 0 && rhs[r] < lower[j]) {
        const s = (lower[j] - x[j]) / d;
        if (s < step) {
          step = s;
          block = j;
          blockState = -1;
        }
      } else if (d > 0 && rhs[r] > upper[j]) {
        const s = (upper[j] - x[j]) / d;
        if (s < step) {
          step = s;
          block = j;
          blockState = 1;
        }
      }
    }
    if (block >= 0) {
      if (step < 0) step = 0;
      for (let r = 0; r < nf; r++) {
        const j = free[r];
        x[j] += step * (rhs[r] - x[j]);
      }
      x[block] = blockState < 0 ? lower[block] : upper[block];
      state[block] = blockState as -1 | 1;
      continue;
    }
    for (let r = 0; r < nf; r++) x[free[r]] = rhs[r];
    // KKT: the gradient A x - b must push every held variable against its bound.
    let worst = -1;
    let worstViolation = 0;
    let scale = 0;
    for (let j = 0; j < p; j++) {
      const rj = j * p;
      let g = -b[j];
      for (let k = 0; k < p; k++) g += a[rj + k] * x[k];
      grad[j] = g;
      const bj = Math.abs(b[j]);
      if (bj > scale) scale = bj;
    }
    const tol = 1e-13 * (scale + 1e-300);
    for (let j = 0; j < p; j++) {
      if (state[j] === 0 || lower[j] === upper[j]) continue;
      const v = state[j] < 0 ? -grad[j] : grad[j];
      if (v > tol && v > worstViolation) {
        worstViolation = v;
        worst = j;
      }
    }
    if (worst < 0) return iter + 1;
    state[worst] = 0;
  }
  return iter;
}
