import {
  allocationChartOption,
  attributionChartOption,
  buildReportData,
  carryoverChartOption,
  COLORS,
  curveChartOption,
  fitChartOption,
  parseReportAllocation,
  renderSvg,
  roasChartOption,
  shareChartOption,
  waterfallAxisMin,
  waterfallChartOption,
  decompositionChartOption,
  type ChannelFigures,
  type WaterfallStep,
} from '../src';
import { knownAllocation, knownModel } from './fixtures';
import { bar, center, marks, polyline, texts } from './svg-marks';

const size = { width: 600, height: 300 };
const data = buildReportData(knownModel(), {
  allocation: parseReportAllocation(knownAllocation()),
  generatedAt: '2024-04-01T00:00:00.000Z',
});
const close = (a: number, b: number, tolerance = 0.6) =>
  expect(Math.abs(a - b)).toBeLessThan(tolerance);

/** Pixels per unit of a bar chart's value axis, from one bar of known value. */
const scaleOf = (h: number, value: number) => h / value;

function channel(name: string, over: Partial<ChannelFigures>): ChannelFigures {
  return {
    name,
    spend: 100,
    spendShare: 0.5,
    contribution: 100,
    effectShare: 0.5,
    roas: null,
    cpa: null,
    marginalRoas: null,
    immediate: 50,
    carryover: 50,
    carryoverShare: 0.5,
    ...over,
  };
}

describe('renderSvg', () => {
  it('draws an SVG string of the given size without a DOM', () => {
    const svg = renderSvg(
      { xAxis: { type: 'category', data: ['a'] }, yAxis: {}, series: [{ type: 'bar', data: [1] }] },
      size,
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('width="600" height="300"');
    expect(svg).not.toMatch(/animation|<animate/);
  });
});

describe('the fit chart', () => {
  const svg = renderSvg(fitChartOption(data), size);

  it('puts one actual point per period, the fitted line and the holdout band', () => {
    const actual = marks(svg, 0);
    expect(actual).toHaveLength(12);
    const fitted = polyline(svg, COLORS.fitted);
    expect(fitted).toHaveLength(12);
    // Same x per period for both; the actual point is above the fitted one when actual > fitted.
    actual.forEach((m, t) => {
      const [x, y] = center(m);
      close(x, fitted[t][0]);
      if (data.series.actual[t] > data.series.fitted[t]) expect(y).toBeLessThan(fitted[t][1]);
      else expect(y).toBeGreaterThan(fitted[t][1]);
    });
    // The holdout band covers the last two periods (from period 10).
    const band = /<polygon points="([^"]*)" fill="rgb\(230,159,0\)"/
      .exec(svg)![1]
      .split(' ')
      .map(Number);
    const xs = band.filter((_, i) => i % 2 === 0);
    const x = (t: number) => center(actual[t])[0];
    expect(Math.min(...xs)).toBeGreaterThan(x(9));
    expect(Math.min(...xs)).toBeLessThanOrEqual(x(10) + 0.5);
    expect(Math.max(...xs)).toBeGreaterThanOrEqual(x(11) - 0.5);
    expect(texts(svg)).toEqual(
      expect.arrayContaining(['holdout', 'revenue per week', 'Actual', 'Fitted']),
    );
  });
});

describe('the waterfall', () => {
  const steps: WaterfallStep[] = [
    { name: 'Baseline', kind: 'baseline', value: 100 },
    { name: 'tv', kind: 'media', value: 60 },
    { name: 'radio', kind: 'media', value: -20 },
    { name: 'Total', kind: 'total', value: 140 },
  ];
  const svg = renderSvg(waterfallChartOption(steps, data), size);
  const bars = marks(svg, 1).map(bar);

  it('stacks each channel on the running total, and ends at the total', () => {
    const k = scaleOf(bars[0].height, 100);
    close(bars[1].height, 60 * k);
    close(bars[1].y, bars[0].y - 100 * k); // tv starts where the baseline ends
    close(bars[2].height, 20 * k);
    close(bars[2].y, bars[0].y - 140 * k); // radio hangs down from 160 to 140
    close(bars[3].height, 140 * k);
    expect(texts(svg)).toEqual(
      expect.arrayContaining(['Baseline', 'tv', 'radio', 'Total', '60', '-20', '140']),
    );
  });

  it('starts its axis at 0 unless media would be slivers beside the baseline', () => {
    expect(waterfallAxisMin(steps)).toBe(0);
    const slivers: WaterfallStep[] = [
      { name: 'Baseline', kind: 'baseline', value: 1_000_000 },
      { name: 'tv', kind: 'media', value: 50_000 },
      { name: 'Total', kind: 'total', value: 1_050_000 },
    ];
    expect(waterfallAxisMin(slivers)).toBe(800_000);
  });
});

describe('the decomposition chart', () => {
  it('stacks the baseline and each channel to the fitted KPI', () => {
    const svg = renderSvg(decompositionChartOption(data), size);
    const tops = polyline(svg, COLORS.actual);
    expect(tops).toHaveLength(12);
    expect(texts(svg)).toEqual(expect.arrayContaining(['baseline', 'tv', 'search', 'actual']));
  });
});

describe('the ROAS chart', () => {
  const channels = [
    channel('tv', { roas: { estimate: 2, lower: 1.5, upper: 3 }, marginalRoas: 1 }),
    channel('search', { roas: { estimate: 1, lower: null, upper: null }, marginalRoas: 0.5 }),
  ];
  const svg = renderSvg(roasChartOption(channels, data), size);

  it('draws bars at the estimates, whiskers over the intervals and diamonds at marginal ROAS', () => {
    const [tv, search] = marks(svg, 0).map(bar);
    const k = scaleOf(tv.height, 2);
    close(search.height, 1 * k);
    const whiskers = marks(svg, 1);
    const stem = whiskers[0].d.match(/[-\d.]+/g)!.map(Number);
    // The vertical stem runs from 1.5 to 3 at the bar's centre.
    close(stem[0], tv.x + tv.width / 2);
    close(stem[1], tv.y - 1.5 * k);
    close(stem[3], tv.y - 3 * k);
    expect(whiskers.every((w) => w.index === 0)).toBe(true); // search has no interval
    const diamonds = marks(svg, 2).map(center);
    close(diamonds[0][1], tv.y - 1 * k);
    close(diamonds[1][1], tv.y - 0.5 * k);
    expect(texts(svg)).toEqual(
      expect.arrayContaining(['ROAS', 'Marginal ROAS', 'revenue per unit of spend']),
    );
  });

  it('shows CPA and the marginal cost per conversion for a conversions KPI', () => {
    const cpa = [channel('tv', { cpa: { estimate: 4, lower: 3, upper: 5 }, marginalRoas: 0.2 })];
    const svg = renderSvg(
      roasChartOption(cpa, { kpi: { name: 'orders', type: 'conversions' } }),
      size,
    );
    const [tv] = marks(svg, 0).map(bar);
    const k = scaleOf(tv.height, 4);
    close(center(marks(svg, 2)[0])[1], tv.y - 5 * k); // 1 / 0.2
    expect(texts(svg)).toEqual(expect.arrayContaining(['CPA', 'spend per conversion']));
  });
});

describe('the share chart', () => {
  it('puts spend share and effect share side by side', () => {
    const channels = [
      channel('tv', { spendShare: 0.6, effectShare: 0.3 }),
      channel('search', { spendShare: 0.4, effectShare: 0.7 }),
    ];
    const svg = renderSvg(shareChartOption(channels), size);
    const spend = marks(svg, 0).map(bar);
    const effect = marks(svg, 1).map(bar);
    const k = scaleOf(spend[0].height, 0.6);
    close(spend[1].height, 0.4 * k);
    close(effect[0].height, 0.3 * k);
    close(effect[1].height, 0.7 * k);
    expect(effect[0].x).toBeGreaterThan(spend[0].x);
  });
});

describe('the carryover chart', () => {
  it('stacks carryover on the immediate effect', () => {
    const channels = [channel('tv', { immediate: 30, carryover: 90, carryoverShare: 0.75 })];
    const svg = renderSvg(carryoverChartOption(channels, data), size);
    const [immediate] = marks(svg, 0).map(bar);
    const [carry] = marks(svg, 1).map(bar);
    const k = scaleOf(immediate.height, 30);
    close(carry.height, 90 * k);
    close(carry.y, immediate.y - immediate.height);
    expect(texts(svg)).toContain('75% carryover');
  });
});

describe('a response curve', () => {
  it('marks current and recommended spend on the curve', () => {
    const curve = data.curves[0];
    expect(curve.recommended).not.toBeNull();
    const svg = renderSvg(curveChartOption(curve, data), size);
    const line = polyline(svg, COLORS.effect);
    expect(line).toHaveLength(curve.points.length);
    // The pixel map of both axes, from the curve's first and last points.
    const [p0, p1] = [curve.points[0], curve.points[curve.points.length - 1]];
    const [a, b] = [line[0], line[line.length - 1]];
    const px = (spend: number) =>
      a[0] + ((spend - p0.spend) / (p1.spend - p0.spend)) * (b[0] - a[0]);
    const py = (r: number) =>
      a[1] + ((r - p0.response) / (p1.response - p0.response)) * (b[1] - a[1]);
    const [cx, cy] = center(marks(svg, 1)[0]);
    close(cx, px(curve.current.spend));
    close(cy, py(curve.current.response));
    const [rx, ry] = center(marks(svg, 2)[0]);
    close(rx, px(curve.recommended!.spend));
    close(ry, py(curve.recommended!.response));
    expect(texts(svg)).toEqual(
      expect.arrayContaining(['tv', 'Current', 'Recommended', 'spend per week']),
    );
  });
});

describe('the allocation chart', () => {
  it('puts current and recommended spend per channel', () => {
    const svg = renderSvg(allocationChartOption(data.allocation!.rows, data), size);
    const current = marks(svg, 0).map(bar);
    const recommended = marks(svg, 1).map(bar);
    const k = scaleOf(current[0].height, 100);
    close(current[1].height, 50 * k);
    close(recommended[0].height, 180 * k);
    expect(recommended.length + current.length).toBeGreaterThanOrEqual(3); // a 0 bar may be omitted
  });
});

describe('the attribution chart', () => {
  it('has one series per method, the MMM last', () => {
    const table = {
      methods: ['last_touch', 'MMM'],
      channels: ['tv', 'search'],
      shares: [
        [0.2, 0.6],
        [0.8, 0.4],
      ],
    };
    const svg = renderSvg(attributionChartOption(table), size);
    const last = marks(svg, 0).map(bar);
    const mmm = marks(svg, 1).map(bar);
    const k = scaleOf(last[0].height, 0.2);
    close(last[1].height, 0.8 * k);
    close(mmm[0].height, 0.6 * k);
    close(mmm[1].height, 0.4 * k);
    expect(texts(svg)).toEqual(expect.arrayContaining(['last_touch', 'MMM', 'share of credit']));
  });
});
