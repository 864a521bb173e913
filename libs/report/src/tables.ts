/**
 * Every table of the report as plain rows, for CSV and JSON downloads: the same figures the HTML
 * shows (from ReportData), unrounded.
 */
import type { ReportData } from './data';

export type Cell = string | number | null;

export interface ReportTable {
  /** File-safe name, e.g. "channels". */
  name: string;
  title: string;
  columns: string[];
  rows: Cell[][];
}

/** The report's tables, in the report's order; allocation and attribution when present. */
export function reportTables(data: ReportData): ReportTable[] {
  const cpa = data.kpi.type === 'conversions';
  const h = data.headline;
  const tables: ReportTable[] = [
    {
      name: 'headline',
      title: 'Headline',
      columns: ['metric', 'value', 'lower', 'upper'],
      rows: [
        ['kpi', data.kpi.name, null, null],
        ['period_start', data.period.start, null, null],
        ['period_end', data.period.end, null, null],
        ['total_kpi', h.totalKpi, null, null],
        ['media_kpi', h.mediaKpi, null, null],
        ['media_share', h.mediaShare, null, null],
        ['total_spend', h.totalSpend, null, null],
        [cpa ? 'cpa' : 'roas', cpa ? h.cpa : h.roas, null, null],
        ...(h.reallocation
          ? ([
              ['reallocation_periods', h.reallocation.periods, null, null],
              ['reallocation_budget', h.reallocation.budget, null, null],
              ['reallocation_moved_spend', h.reallocation.moved, null, null],
              [
                'expected_kpi_lift',
                h.reallocation.lift.estimate,
                h.reallocation.lift.lower,
                h.reallocation.lift.upper,
              ],
              ['expected_kpi_lift_share', h.reallocation.liftShare, null, null],
            ] as Cell[][])
          : []),
        ['quality', h.quality.grade, null, null],
      ],
    },
    {
      name: 'decomposition',
      title: 'Actual, fitted and decomposition per period',
      columns: ['date', 'actual', 'fitted', 'holdout', ...data.series.parts.map((p) => p.name)],
      rows: data.series.dates.map((date, t) => [
        date,
        data.series.actual[t],
        data.series.fitted[t],
        data.series.holdoutStart !== null && t >= data.series.holdoutStart ? 1 : 0,
        ...data.series.parts.map((p) => p.values[t]),
      ]),
    },
    {
      name: 'waterfall',
      title: 'Contribution waterfall (training periods)',
      columns: ['step', 'kind', 'value'],
      rows: data.waterfall.map((s) => [s.name, s.kind, s.value]),
    },
    {
      name: 'channels',
      title: 'Channel results (training periods)',
      columns: [
        'channel',
        'spend',
        'spend_share',
        'contribution',
        'effect_share',
        cpa ? 'cpa' : 'roas',
        cpa ? 'cpa_lower' : 'roas_lower',
        cpa ? 'cpa_upper' : 'roas_upper',
        'marginal_roas',
        'immediate',
        'carryover',
        'carryover_share',
      ],
      rows: data.channels.map((c) => {
        const f = cpa ? c.cpa : c.roas;
        return [
          c.name,
          c.spend,
          c.spendShare,
          c.contribution,
          c.effectShare,
          f?.estimate ?? null,
          f?.lower ?? null,
          f?.upper ?? null,
          c.marginalRoas,
          c.immediate,
          c.carryover,
          c.carryoverShare,
        ];
      }),
    },
    {
      name: 'response_curves',
      title: 'Response curves (mean per period)',
      columns: ['channel', 'spend', 'response', 'marker'],
      rows: data.curves.flatMap((c) => [
        ...c.points.map((p): Cell[] => [c.channel, p.spend, p.response, null]),
        [c.channel, c.current.spend, c.current.response, 'current'],
        ...(c.recommended
          ? [[c.channel, c.recommended.spend, c.recommended.response, 'recommended'] as Cell[]]
          : []),
      ]),
    },
  ];
  if (data.allocation) {
    tables.push({
      name: 'allocation',
      title: `Allocation (spend per ${data.period.unit}; KPI change over ${data.allocation.periods} ${data.period.unit}s)`,
      columns: [
        'channel',
        'current',
        'recommended',
        'change',
        'kpi_change',
        'binding',
        'beyond_history',
      ],
      rows: data.allocation.rows.map((r) => [
        r.channel,
        r.current,
        r.recommended,
        r.change,
        r.kpiChange,
        r.binding.join('; '),
        r.beyondHistory ? 1 : 0,
      ]),
    });
  }
  if (data.attribution) {
    tables.push({
      name: 'attribution',
      title: 'Attribution comparison (share of credit)',
      columns: ['channel', ...data.attribution.methods],
      rows: data.attribution.channels.map((c, i) => [c, ...data.attribution!.shares[i]]),
    });
  }
  const q = data.quality;
  tables.push({
    name: 'quality',
    title: 'Model quality',
    columns: ['metric', 'training', 'holdout'],
    rows: [
      ['r2', q.r2, q.holdout?.r2 ?? null],
      ['adjusted_r2', q.adjustedR2, null],
      ['nrmse', q.nrmse, q.holdout?.nrmse ?? null],
      ['mape', q.mape, q.holdout?.mape ?? null],
      ['decomp_rssd', q.decompRssd, null],
      ['periods', data.period.trainingPeriods, q.holdout?.periods ?? null],
    ],
  });
  return tables;
}

function csvCell(cell: Cell): string {
  if (cell === null) return '';
  const text = typeof cell === 'number' ? String(cell) : cell;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV with a header row. */
export function tableCsv(table: ReportTable): string {
  return (
    [table.columns, ...table.rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n'
  );
}

/** All tables as one JSON document: `{ tables: [{ name, title, columns, rows }] }`. */
export function tablesJson(tables: ReportTable[]): string {
  return JSON.stringify({ tables }, null, 2) + '\n';
}
