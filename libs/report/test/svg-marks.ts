// Reads the marks ECharts' SSR writes (each data item's element carries ecmeta_series_index and
// ecmeta_data_index), so that tests can check that a mark sits where its value puts it.

export interface Mark {
  series: number;
  index: number;
  d: string;
  transform: string | null;
  fill: string | null;
  stroke: string | null;
}

const attr = (tag: string, name: string) =>
  new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1] ?? null;

/** The data marks of a chart, optionally of one series, in document order. */
export function marks(svg: string, series?: number): Mark[] {
  const out: Mark[] = [];
  for (const [tag] of svg.matchAll(/<path\b[^>]*ecmeta_series_index="\d+"[^>]*>/g)) {
    // Legend icons carry the series index too; data marks are of type chart.
    if (attr(tag, 'ecmeta_ssr_type') !== 'chart') continue;
    const mark = {
      series: Number(attr(tag, 'ecmeta_series_index')),
      index: Number(attr(tag, 'ecmeta_data_index')),
      d: attr(tag, 'd') ?? '',
      transform: attr(tag, 'transform'),
      fill: attr(tag, 'fill'),
      stroke: attr(tag, 'stroke'),
    };
    if (series === undefined || mark.series === series) out.push(mark);
  }
  return out;
}

/** A bar `M x y l w 0 l 0 -h l -w 0 Z`: its foot (y) and signed height (up is positive). */
export function bar(mark: Mark): { x: number; y: number; width: number; height: number } {
  const m = /^M([-\d.]+) ([-\d.]+)l([-\d.]+) 0l0 ([-\d.]+)l/.exec(mark.d);
  if (!m) throw new Error(`not a bar: ${mark.d}`);
  return { x: Number(m[1]), y: Number(m[2]), width: Number(m[3]), height: -Number(m[4]) };
}

/** The centre of a symbol (scatter point), from its transform matrix. */
export function center(mark: Mark): [number, number] {
  const m = /matrix\(([^)]*)\)/.exec(mark.transform ?? '');
  if (!m) throw new Error(`no transform: ${mark.d}`);
  const v = m[1].split(',').map(Number);
  return [v[4], v[5]];
}

/** The points of the (first) polyline drawn with this stroke colour. */
export function polyline(svg: string, stroke: string): Array<[number, number]> {
  for (const [tag] of svg.matchAll(/<path\b[^>]*>/g)) {
    if (attr(tag, 'stroke') !== stroke || attr(tag, 'fill') !== 'none') continue;
    const d = attr(tag, 'd') ?? '';
    if (!/^M[-\d.]+ [-\d.]+L/.test(d)) continue;
    return [...d.matchAll(/[ML]([-\d.]+) ([-\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  }
  throw new Error(`no polyline stroked ${stroke}`);
}

/** The text labels of the chart. */
export function texts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}
