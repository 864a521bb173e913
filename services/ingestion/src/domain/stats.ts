import type { ColumnSummary } from './types';

/** Summary statistics of one numeric column; `missingCount` comes from the source file. */
export function summarize(values: readonly number[], missingCount = 0): ColumnSummary {
  const count = values.length;
  if (count === 0) {
    return { count, min: 0, max: 0, mean: 0, sd: 0, sum: 0, zeroShare: 0, missingCount };
  }
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let zeros = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    if (v === 0) zeros += 1;
  }
  const mean = sum / count;
  // Two passes over the data: the one-pass sum-of-squares formula loses precision
  // on spend columns in the millions.
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  const sd = count > 1 ? Math.sqrt(squares / (count - 1)) : 0;
  return { count, min, max, mean, sd, sum, zeroShare: zeros / count, missingCount };
}
