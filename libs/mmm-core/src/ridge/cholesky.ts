/**
 * Cholesky factorisation and solve for a small symmetric positive definite system stored
 * row-major in a Float64Array (only the lower triangle is read). Works in place, allocates
 * nothing: the normal equations of an MMM are p x p with p around 10-40.
 */

/**
 * Factor A = L L' in place (L in the lower triangle, row-major, leading dimension `ld`).
 * Returns false when A is not numerically positive definite.
 */
export function choleskyFactorInPlace(a: Float64Array, p: number, ld: number = p): boolean {
  for (let j = 0; j < p; j++) {
    const rj = j * ld;
    let d = a[rj + j];
    for (let k = 0; k < j; k++) d -= a[rj + k] * a[rj + k];
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < p; i++) {
      const ri = i * ld;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s * inv;
    }
  }
  return true;
}

/** Solve L L' x = b in place in `b`, with L from choleskyFactorInPlace. */
export function choleskySolveInPlace(
  l: Float64Array,
  p: number,
  b: Float64Array,
  ld: number = p,
): void {
  for (let i = 0; i < p; i++) {
    const ri = i * ld;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[ri + k] * b[k];
    b[i] = s / l[ri + i];
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < p; k++) s -= l[k * ld + i] * b[k];
    b[i] = s / l[i * ld + i];
  }
}

/** Solve the SPD system A x = b (allocating convenience form; A and b are not modified). */
export function choleskySolve(a: ArrayLike<number>, b: ArrayLike<number>, p: number): Float64Array {
  const l = Float64Array.from(a);
  if (!choleskyFactorInPlace(l, p))
    throw new RangeError('choleskySolve: matrix is not positive definite');
  const x = Float64Array.from(b);
  choleskySolveInPlace(l, p, x);
  return x;
}
