/**
 * The report's charts as ECharts options, each from the figures of ReportData, and drawn to SVG
 * by renderSvg. Layout (grid margins) is fixed so that a test can find each mark where its
 * value puts it; axes carry names with units and compact number labels.
 */
import { compact, percent, ratio } from '../format';
import type { ChannelFigures, CurveFigures, ReportData, WaterfallStep } from '../data';
import { renderSvg, type ChartOption, type ChartSize } from './svg';

/** Colour-blind-safe palette (Okabe-Ito, then Tableau); baseline grey. */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#4E79A7',
  '#B07AA1',
  '#9C755F',
];
export const BASELINE_COLORS = ['#8c8c8c', '#a9a9a9', '#bdbdbd', '#cfcfcf', '#dedede', '#ececec'];
export const COLORS = {
  actual: '#222222',
  fitted: '#0072B2',
  holdout: 'rgba(230,159,0,0.15)',
  baseline: '#8c8c8c',
  positive: '#009E73',
  negative: '#D55E00',
  total: '#0072B2',
  current: '#555555',
  recommended: '#D55E00',
  spend: '#9db4cf',
  effect: '#0072B2',
  immediate: '#0072B2',
  carryover: '#56B4E9',
  interval: '#222222',
  marginal: '#D55E00',
};

/** The plot area of every chart, in pixels from the edges. */
export const GRID = { left: 72, right: 24, top: 64, bottom: 56 };

const TEXT = { fontSize: 12, color: '#333' };
const axisLabel = { formatter: (v: number) => compact(v), color: '#444' };

function kpiUnit(data: Pick<ReportData, 'kpi' | 'period'>): string {
  return `${data.kpi.name} per ${data.period.unit}`;
}

export const SIZES = {
  wide: { width: 960, height: 320 },
  half: { width: 470, height: 300 },
  small: { width: 310, height: 230 },
} satisfies Record<string, ChartSize>;

/** Actual and fitted KPI per period, the holdout shaded. */
export function fitChartOption(data: ReportData): ChartOption {
  const { series } = data;
  const holdout =
    series.holdoutStart !== null
      ? [
          [
            { xAxis: series.dates[series.holdoutStart], name: 'holdout' },
            { xAxis: series.dates[series.dates.length - 1] },
          ],
        ]
      : [];
  return {
    textStyle: TEXT,
    grid: GRID,
    legend: { top: 4, data: ['Actual', 'Fitted'] },
    xAxis: {
      type: 'category',
      data: series.dates,
      name: 'Period',
      nameLocation: 'middle',
      nameGap: 30,
    },
    yAxis: {
      type: 'value',
      name: kpiUnit(data),
      nameTextStyle: { align: 'left' },
      axisLabel,
      scale: true,
    },
    series: [
      {
        name: 'Actual',
        type: 'line',
        data: series.actual,
        symbol: 'circle',
        symbolSize: 3,
        lineStyle: { width: 1, color: COLORS.actual },
        itemStyle: { color: COLORS.actual },
        markArea: {
          silent: true,
          itemStyle: { color: COLORS.holdout },
          label: { show: true, position: 'insideTop', color: '#8a5a00' },
          data: holdout as never,
        },
      },
      {
        name: 'Fitted',
        type: 'line',
        data: series.fitted,
        showSymbol: false,
        lineStyle: { width: 2, color: COLORS.fitted },
        itemStyle: { color: COLORS.fitted },
      },
    ],
  };
}

/**
 * Where the waterfall's value axis starts: 0, unless the media steps would be slivers next to
 * the baseline (together under a quarter of the total), then a round value below the
 * baseline, so that each channel's step can be seen (the chart's caption says so).
 */
export function waterfallAxisMin(steps: WaterfallStep[]): number {
  const baseline = steps.find((s) => s.kind === 'baseline')?.value ?? 0;
  const total = steps.find((s) => s.kind === 'total')?.value ?? 0;
  let low = baseline;
  let running = baseline;
  for (const s of steps) {
    if (s.kind === 'media' || s.kind === 'synergy') {
      running += s.value;
      low = Math.min(low, running);
    }
  }
  if (!(baseline > 0) || total <= 0 || (total - baseline) / total >= 0.25) return 0;
  const target = low * 0.8;
  const magnitude = 10 ** Math.floor(Math.log10(target));
  return Math.floor(target / magnitude) * magnitude;
}

/**
 * Contribution waterfall: baseline, each channel stacked on what came before, and the total.
 * Series 0 is the invisible base, series 1 the visible steps (their data index = the step).
 */
export function waterfallChartOption(
  steps: WaterfallStep[],
  data: Pick<ReportData, 'kpi' | 'period'>,
): ChartOption {
  const base: number[] = [];
  let running = 0;
  for (const step of steps) {
    if (step.kind === 'total' || step.kind === 'baseline') {
      base.push(0);
      running = step.kind === 'baseline' ? step.value : running;
    } else {
      base.push(step.value >= 0 ? running : running + step.value);
      running += step.value;
    }
  }
  return {
    textStyle: TEXT,
    grid: GRID,
    xAxis: {
      type: 'category',
      data: steps.map((s) => s.name),
      axisLabel: { interval: 0, rotate: steps.length > 4 ? 30 : 0 },
    },
    yAxis: {
      type: 'value',
      name: `${data.kpi.name}, training periods`,
      nameTextStyle: { align: 'left' },
      axisLabel,
      min: waterfallAxisMin(steps),
    },
    series: [
      {
        type: 'bar',
        stack: 'waterfall',
        silent: true,
        itemStyle: { color: 'transparent' },
        data: base,
      },
      {
        type: 'bar',
        stack: 'waterfall',
        barMaxWidth: 56,
        label: { show: true, position: 'top', formatter: (p) => compact(steps[p.dataIndex].value) },
        data: steps.map((s, i) => ({
          value: Math.abs(s.value),
          itemStyle: {
            color:
              s.kind === 'baseline'
                ? COLORS.baseline
                : s.kind === 'total'
                  ? COLORS.total
                  : s.value >= 0
                    ? PALETTE[(i - 1) % PALETTE.length]
                    : COLORS.negative,
          },
        })),
      },
    ],
  };
}

/**
 * The KPI per period stacked by source: the baseline (every non-media part summed, series 0),
 * then each channel (and synergy), with the actual KPI as a line on top (the last series).
 */
export function decompositionChartOption(data: ReportData): ChartOption {
  const { series } = data;
  const media = series.parts.filter((p) => p.group === 'media');
  return {
    textStyle: TEXT,
    grid: GRID,
    legend: { top: 4 },
    xAxis: { type: 'category', data: series.dates, boundaryGap: false },
    yAxis: {
      type: 'value',
      name: kpiUnit(data),
      nameTextStyle: { align: 'left' },
      axisLabel,
    },
    series: [
      ...[
        { name: 'baseline', values: series.baseline, color: COLORS.baseline },
        ...media.map((p, i) => ({
          name: p.name,
          values: p.values,
          color: PALETTE[i % PALETTE.length],
        })),
      ].map((part) => ({
        name: part.name,
        type: 'line' as const,
        stack: 'kpi',
        data: part.values,
        showSymbol: false,
        lineStyle: { width: 0 },
        itemStyle: { color: part.color },
        areaStyle: { color: part.color, opacity: 0.85 },
      })),
      {
        name: 'actual',
        type: 'line' as const,
        data: series.actual,
        showSymbol: false,
        lineStyle: { width: 1, color: COLORS.actual, type: 'dashed' as const },
        itemStyle: { color: COLORS.actual },
      },
    ],
  };
}

/**
 * ROAS (or CPA) per channel: bars at the estimate (series 0), whiskers over the interval
 * (series 1, a custom series), marginal ROAS (marginal cost per KPI for CPA) as diamonds
 * (series 2).
 */
export function roasChartOption(
  channels: ChannelFigures[],
  data: Pick<ReportData, 'kpi'>,
): ChartOption {
  const cpa = data.kpi.type === 'conversions';
  const figure = (c: ChannelFigures) => (cpa ? c.cpa : c.roas);
  const marginal = (c: ChannelFigures) =>
    c.marginalRoas === null || c.marginalRoas <= 0
      ? null
      : cpa
        ? 1 / c.marginalRoas
        : c.marginalRoas;
  const intervals = channels.map((c, i) => {
    const f = figure(c);
    return f && f.lower !== null && f.upper !== null ? [i, f.lower, f.upper] : [i, null, null];
  });
  const label = cpa ? 'CPA' : 'ROAS';
  return {
    textStyle: TEXT,
    grid: GRID,
    legend: { top: 4, data: [label, `${label} interval`, `Marginal ${label}`] },
    xAxis: { type: 'category', data: channels.map((c) => c.name), axisLabel: { interval: 0 } },
    yAxis: {
      type: 'value',
      name: cpa ? 'spend per conversion' : `${data.kpi.name} per unit of spend`,
      nameTextStyle: { align: 'left' },
      min: 0,
      axisLabel: { formatter: (v: number) => ratio(v, v >= 10 ? 0 : 1) },
    },
    series: [
      {
        name: label,
        type: 'bar',
        barMaxWidth: 48,
        itemStyle: { color: COLORS.effect },
        label: {
          show: true,
          position: 'insideBottom',
          color: '#fff',
          formatter: (p) => ratio(Number(p.value)),
        },
        data: channels.map((c) => figure(c)?.estimate ?? 0),
      },
      {
        name: `${label} interval`,
        type: 'custom',
        itemStyle: { color: COLORS.interval },
        encode: { x: 0, y: [1, 2] },
        renderItem: ((_params: unknown, api: CustomApi) => {
          const lower = api.value(1);
          const upper = api.value(2);
          if (lower === null || upper === null || Number.isNaN(lower) || Number.isNaN(upper)) {
            return null;
          }
          const low = api.coord([api.value(0), lower]);
          const high = api.coord([api.value(0), upper]);
          const half = 8;
          const style = { stroke: COLORS.interval, lineWidth: 1.5 };
          return {
            type: 'group',
            children: [
              { type: 'line', shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style },
              {
                type: 'line',
                shape: { x1: low[0] - half, y1: low[1], x2: low[0] + half, y2: low[1] },
                style,
              },
              {
                type: 'line',
                shape: { x1: high[0] - half, y1: high[1], x2: high[0] + half, y2: high[1] },
                style,
              },
            ],
          };
        }) as never,
        data: intervals,
        z: 10,
      },
      {
        name: `Marginal ${label}`,
        type: 'scatter',
        symbol: 'diamond',
        symbolSize: 12,
        itemStyle: { color: COLORS.marginal },
        data: channels.map((c) => marginal(c)),
        z: 11,
      },
    ],
  };
}

interface CustomApi {
  value(dim: number): number;
  coord(point: Array<number | null>): [number, number];
}

/** Spend share (series 0) beside effect share (series 1) per channel. */
export function shareChartOption(channels: ChannelFigures[]): ChartOption {
  return {
    textStyle: TEXT,
    grid: GRID,
    legend: { top: 4, data: ['Spend share', 'Effect share'] },
    xAxis: { type: 'category', data: channels.map((c) => c.name), axisLabel: { interval: 0 } },
    yAxis: {
      type: 'value',
      name: 'share of paid media',
      nameTextStyle: { align: 'left' },
      min: 0,
      axisLabel: { formatter: (v: number) => percent(v, 0) },
    },
    series: [
      {
        name: 'Spend share',
        type: 'bar',
        barMaxWidth: 32,
        itemStyle: { color: COLORS.spend },
        data: channels.map((c) => c.spendShare),
      },
      {
        name: 'Effect share',
        type: 'bar',
        barMaxWidth: 32,
        itemStyle: { color: COLORS.effect },
        data: channels.map((c) => c.effectShare),
      },
    ],
  };
}

/** Immediate (series 0) and carryover (series 1) contribution per channel, stacked. */
export function carryoverChartOption(
  channels: ChannelFigures[],
  data: Pick<ReportData, 'kpi'>,
): ChartOption {
  return {
    textStyle: TEXT,
    grid: GRID,
    legend: { top: 4, data: ['Immediate', 'Carryover'] },
    xAxis: { type: 'category', data: channels.map((c) => c.name), axisLabel: { interval: 0 } },
    yAxis: {
      type: 'value',
      name: `${data.kpi.name}, training periods`,
      nameTextStyle: { align: 'left' },
      min: 0,
      axisLabel,
    },
    series: [
      {
        name: 'Immediate',
        type: 'bar',
        stack: 'effect',
        barMaxWidth: 48,
        itemStyle: { color: COLORS.immediate },
        data: channels.map((c) => c.immediate),
      },
      {
        name: 'Carryover',
        type: 'bar',
        stack: 'effect',
        barMaxWidth: 48,
        itemStyle: { color: COLORS.carryover },
        label: {
          show: true,
          position: 'top',
          formatter: (p) => `${percent(channels[p.dataIndex].carryoverShare, 0)} carryover`,
        },
        data: channels.map((c) => c.carryover),
      },
    ],
  };
}

/**
 * One channel's response curve (series 0), its current spend (series 1) and the
 * recommendation (series 2, when there is one), both as points on the curve.
 */
export function curveChartOption(
  curve: CurveFigures,
  data: Pick<ReportData, 'kpi' | 'period'>,
): ChartOption {
  const marks = [
    {
      name: 'Current',
      type: 'scatter' as const,
      symbol: 'circle',
      symbolSize: 11,
      itemStyle: { color: COLORS.current },
      data: [[curve.current.spend, curve.current.response]],
      z: 5,
    },
  ];
  if (curve.recommended) {
    marks.push({
      name: 'Recommended',
      type: 'scatter' as const,
      symbol: 'triangle',
      symbolSize: 13,
      itemStyle: { color: COLORS.recommended },
      data: [[curve.recommended.spend, curve.recommended.response]],
      z: 6,
    });
  }
  return {
    textStyle: TEXT,
    title: { text: curve.channel, left: 'center', top: 0, textStyle: { fontSize: 13 } },
    grid: { left: 56, right: 16, top: 44, bottom: 44 },
    legend: { top: 20, itemWidth: 10, itemHeight: 8, textStyle: { fontSize: 10 } },
    xAxis: {
      type: 'value',
      name: `spend per ${data.period.unit}`,
      nameLocation: 'middle',
      nameGap: 26,
      min: 0,
      axisLabel,
    },
    yAxis: { type: 'value', min: 0, axisLabel },
    series: [
      {
        name: `${data.kpi.name} per ${data.period.unit}`,
        type: 'line',
        showSymbol: false,
        lineStyle: { width: 2, color: COLORS.effect },
        itemStyle: { color: COLORS.effect },
        data: curve.points.map((p) => [p.spend, p.response]),
      },
      ...marks,
    ],
  };
}

/** Current (series 0) and recommended (series 1) spend per period per channel. */
export function allocationChartOption(
  rows: NonNullable<ReportData['allocation']>['rows'],
  data: Pick<ReportData, 'period'>,
): ChartOption {
  return {
    textStyle: TEXT,
    grid: GRID,
    legend: { top: 4, data: ['Current', 'Recommended'] },
    xAxis: { type: 'category', data: rows.map((r) => r.channel), axisLabel: { interval: 0 } },
    yAxis: {
      type: 'value',
      name: `spend per ${data.period.unit}`,
      nameTextStyle: { align: 'left' },
      min: 0,
      axisLabel,
    },
    series: [
      {
        name: 'Current',
        type: 'bar',
        barMaxWidth: 32,
        itemStyle: { color: COLORS.current },
        data: rows.map((r) => r.current),
      },
      {
        name: 'Recommended',
        type: 'bar',
        barMaxWidth: 32,
        itemStyle: { color: COLORS.recommended },
        data: rows.map((r) => r.recommended),
      },
    ],
  };
}

/** Share of credit per channel, one series per method (the MMM last). */
export function attributionChartOption(table: NonNullable<ReportData['attribution']>): ChartOption {
  return {
    textStyle: TEXT,
    grid: { ...GRID, top: 56 },
    legend: { top: 4 },
    xAxis: { type: 'category', data: table.channels, axisLabel: { interval: 0 } },
    yAxis: {
      type: 'value',
      name: 'share of credit',
      nameTextStyle: { align: 'left' },
      min: 0,
      axisLabel: { formatter: (v: number) => percent(v, 0) },
    },
    series: table.methods.map((method, m) => ({
      name: method,
      type: 'bar',
      barMaxWidth: 18,
      itemStyle: { color: method === 'MMM' ? '#222222' : PALETTE[m % PALETTE.length] },
      data: table.shares.map((row) => row[m]),
    })),
  };
}

export interface ReportCharts {
  fit: string;
  waterfall: string;
  decomposition: string;
  roas: string;
  shares: string;
  carryover: string;
  curves: Array<{ channel: string; svg: string }>;
  allocation: string | null;
  attribution: string | null;
}

/** Every chart of the report as SVG. */
export function renderReportCharts(data: ReportData): ReportCharts {
  return {
    fit: renderSvg(fitChartOption(data), SIZES.wide),
    waterfall: renderSvg(waterfallChartOption(data.waterfall, data), SIZES.half),
    decomposition: renderSvg(decompositionChartOption(data), SIZES.wide),
    roas: renderSvg(roasChartOption(data.channels, data), SIZES.half),
    shares: renderSvg(shareChartOption(data.channels), SIZES.half),
    carryover: renderSvg(carryoverChartOption(data.channels, data), SIZES.half),
    curves: data.curves.map((c) => ({
      channel: c.channel,
      svg: renderSvg(curveChartOption(c, data), SIZES.small),
    })),
    allocation: data.allocation
      ? renderSvg(allocationChartOption(data.allocation.rows, data), SIZES.half)
      : null,
    attribution: data.attribution
      ? renderSvg(attributionChartOption(data.attribution), SIZES.wide)
      : null,
  };
}
