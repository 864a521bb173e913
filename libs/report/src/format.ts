/** Number formats of the report: compact amounts, ratios, shares; one place so all agree. */

const SUFFIXES: Array<[number, string]> = [
  [1e12, 'T'],
  [1e9, 'B'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** 1234567 -> "1.23M", 45600 -> "45.6k", 12.345 -> "12.3"; three significant digits. */
export function compact(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  for (const [size, suffix] of SUFFIXES) {
    if (abs >= size) return `${trim((value / size).toPrecision(3))}${suffix}`;
  }
  if (abs === 0) return '0';
  return abs >= 1 ? trim(value.toPrecision(3)) : trim(value.toFixed(3));
}

function trim(text: string): string {
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

/** A ratio such as ROAS: "2.41". */
export function ratio(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? '–'
    : value.toFixed(digits);
}

/** A share: 0.1234 -> "12.3%". */
export function percent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? '–'
    : `${(value * 100).toFixed(digits)}%`;
}

/** A signed share: 0.05 -> "+5.0%". */
export function signedPercent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return `${value >= 0 ? '+' : '−'}${(Math.abs(value) * 100).toFixed(digits)}%`;
}

/** A signed amount: 1200 -> "+1.2k". */
export function signedCompact(value: number): string {
  return `${value >= 0 ? '+' : '−'}${compact(Math.abs(value))}`;
}

/** "2.41 (1.90–2.95)" or "2.41" without bounds. */
export function withInterval(
  estimate: { estimate: number; lower: number | null; upper: number | null } | null,
  format: (v: number) => string = (v) => ratio(v),
): string {
  if (!estimate) return '–';
  const main = format(estimate.estimate);
  return estimate.lower !== null && estimate.upper !== null
    ? `${main} (${format(estimate.lower)}–${format(estimate.upper)})`
    : main;
}

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
