/**
 * One-dimensional searches the allocator uses over a total, a price bracket or one channel's
 * spend: golden section for the maximum of a unimodal function, bisection for the edge of a
 * set that is an interval.
 */

const PHI = (Math.sqrt(5) - 1) / 2;

/**
 * The maximum of f on [a, b] by golden section, f unimodal there; stops when the bracket is
 * under `tolerance`. Returns [x, f(x)].
 */
export function goldenSectionMax(
  f: (x: number) => number,
  a: number,
  b: number,
  tolerance: number,
): [number, number] {
  let c = b - PHI * (b - a);
  let d = a + PHI * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let it = 0; it < 200 && b - a > tolerance; it++) {
    if (fc >= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - PHI * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + PHI * (b - a);
      fd = f(d);
    }
  }
  return fc >= fd ? [c, fc] : [d, fd];
}

/**
 * The last point of {x : ok(x)} going from `inside` (ok) towards `outside` (not ok), by
 * bisection to `tolerance`; either may be the larger.
 */
export function edgeOf(
  ok: (x: number) => boolean,
  inside: number,
  outside: number,
  tolerance: number,
): number {
  for (let it = 0; it < 200 && Math.abs(outside - inside) > tolerance; it++) {
    const m = 0.5 * (inside + outside);
    if (ok(m)) inside = m;
    else outside = m;
  }
  return inside;
}
