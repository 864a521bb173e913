/**
 * Every figure the executive report shows, computed once from the saved model (and the
 * allocation and attribution when given). The HTML, the charts and the CSV/JSON tables all read
 * this, so they cannot disagree. Totals are over the training periods (the holdout is shown on
 * the fit chart but not credited); spend per period is the model's history x costPerUnit.
 */
import {
  adstockSeries,
  decompose,
  immediateSeries,
  responseCurve,
  saturationValue,
  type MediaMixModel,
} from '@mmm/core';
import type { ReportAllocation, ReportAttribution, ReportEstimate } from './inputs';

export interface ReportOptions {
  /** The report's title (default: "<KPI> media mix report"). */
  title?: string;
  /** A line naming the model (e.g. "Model m_12ab, version 3, dataset demo"). */
  modelLabel?: string;
  /** A line naming the scenario the allocation comes from. */
  scenarioLabel?: string;
  allocation?: ReportAllocation | null;
  attribution?: ReportAttribution | null;
  /** ISO-8601 time printed on the report (default now); fixed in tests. */
  generatedAt?: string;
  /** Points per response curve (default 41). */
  curvePoints?: number;
  /** More caveats to print (e.g. an input that could not be read). */
  notes?: string[];
}

export type QualityGrade = 'good' | 'fair' | 'weak';

export interface ChannelFigures {
  name: string;
  spend: number;
  spendShare: number;
  contribution: number;
  effectShare: number;
  /** Contribution / spend with its interval (revenue KPI), else null. */
  roas: ReportEstimate | null;
  /** Spend / contribution with its interval (conversions KPI), else null. */
  cpa: ReportEstimate | null;
  /** KPI per extra unit of spend at current mean spend. */
  marginalRoas: number | null;
  /** The contribution split into the same period's effect and adstock carryover. */
  immediate: number;
  carryover: number;
  carryoverShare: number;
}

export interface CurveFigures {
  channel: string;
  /** Mean spend per period and mean response per period. */
  points: Array<{ spend: number; response: number }>;
  current: { spend: number; response: number };
  recommended: { spend: number; response: number } | null;
}

export interface WaterfallStep {
  name: string;
  kind: 'baseline' | 'media' | 'synergy' | 'total';
  value: number;
}

export interface AllocationRow {
  channel: string;
  current: number;
  recommended: number;
  change: number | null;
  /** Expected KPI change over the horizon from this channel's move. */
  kpiChange: number;
  /** The rules that hold the channel (its own bound, groups, the budget). */
  binding: string[];
  beyondHistory: boolean;
}

export interface ReportData {
  title: string;
  generatedAt: string;
  modelLabel: string | null;
  scenarioLabel: string | null;
  kpi: { name: string; type: 'revenue' | 'conversions' };
  period: {
    start: string;
    end: string;
    periods: number;
    trainingPeriods: number;
    holdoutPeriods: number;
    /** 'week', 'day' or 'period'. */
    unit: string;
  };
  headline: {
    totalKpi: number;
    mediaKpi: number;
    mediaShare: number;
    totalSpend: number;
    roas: number | null;
    cpa: number | null;
    reallocation: {
      periods: number;
      budget: number;
      /** Spend moved between channels over the horizon (half the sum of absolute changes). */
      moved: number;
      lift: ReportEstimate;
      /** lift / current expected KPI over the horizon. */
      liftShare: number | null;
    } | null;
    quality: { grade: QualityGrade; reasons: string[] };
  };
  series: {
    dates: string[];
    actual: number[];
    fitted: number[];
    /** Index of the first holdout period; null without holdout. */
    holdoutStart: number | null;
    /** Every non-media part summed (intercept, trend, seasonality, events, controls, organic). */
    baseline: number[];
    /** Stacked parts: baseline groups first, then the paid channels and synergy. */
    parts: Array<{ name: string; group: 'baseline' | 'media'; values: number[] }>;
  };
  waterfall: WaterfallStep[];
  channels: ChannelFigures[];
  intervals: { level: number; method: string } | null;
  curves: CurveFigures[];
  allocation: {
    objective: string;
    periods: number;
    budget: number;
    method: string | null;
    status: string | null;
    spend: { current: number; recommended: number };
    expectedKpi: { current: ReportEstimate; recommended: ReportEstimate; lift: ReportEstimate };
    /** Whether the total budget is a binding rule (all of it is spent). */
    budgetBinding: boolean;
    rows: AllocationRow[];
    notes: string[];
  } | null;
  attribution: {
    /** Columns: the journeys' methods, then 'MMM' (the model's effect share). */
    methods: string[];
    channels: string[];
    /** shares[channel][method], null where a method has no figure for the channel. */
    shares: (number | null)[][];
  } | null;
  quality: {
    r2: number;
    adjustedR2: number;
    nrmse: number;
    mape: number;
    decompRssd: number;
    holdout: { periods: number; r2: number; nrmse: number; mape: number } | null;
  };
  caveats: string[];
  method: string[];
}

const sum = (values: ArrayLike<number>, end = values.length) => {
  let s = 0;
  for (let t = 0; t < end; t++) s += values[t];
  return s;
};

/**
 * The quality badge: good when the fit explains most of the KPI (R2 >= 0.8, NRMSE <= 0.1) and,
 * with a holdout, predicts it (holdout MAPE <= 0.15); fair from R2 >= 0.6 (holdout MAPE <= 0.3);
 * weak otherwise. The reasons say which figure decided.
 */
export function qualityGrade(q: ReportData['quality']): { grade: QualityGrade; reasons: string[] } {
  const reasons: string[] = [];
  const holdoutMape = q.holdout?.mape ?? null;
  const good = q.r2 >= 0.8 && q.nrmse <= 0.1 && (holdoutMape === null || holdoutMape <= 0.15);
  const fair = q.r2 >= 0.6 && (holdoutMape === null || holdoutMape <= 0.3);
  reasons.push(
    `R² ${q.r2.toFixed(2)}${q.r2 >= 0.8 ? '' : q.r2 >= 0.6 ? ' (below 0.8)' : ' (below 0.6)'}`,
  );
  reasons.push(`NRMSE ${q.nrmse.toFixed(3)}${q.nrmse <= 0.1 ? '' : ' (above 0.1)'}`);
  if (holdoutMape !== null) {
    reasons.push(`holdout MAPE ${(holdoutMape * 100).toFixed(1)}%`);
  } else {
    reasons.push('no holdout: predictive accuracy not measured');
  }
  return { grade: good ? 'good' : fair ? 'fair' : 'weak', reasons };
}

function unitOf(model: MediaMixModel): string {
  const days = model.periods.periodDays;
  return days === 7 ? 'week' : days === 1 ? 'day' : 'period';
}

/**
 * ROAS and CPA intervals as the modeling service picks them: over the model's draws (schema 4),
 * else the posterior's, else the bootstrap's.
 */
function channelIntervals(model: MediaMixModel, name: string) {
  const u = model.uncertainty;
  const drawn = u?.combined?.channels.find((c) => c.name === name);
  if (u?.combined && drawn) {
    return { roas: drawn.roas, cpa: drawn.cpa, method: u.combined.method };
  }
  const posterior = u?.posterior?.channels.find((c) => c.name === name);
  const bootstrap = u?.bootstrap?.channels.find((c) => c.name === name);
  return {
    roas: posterior?.roas ?? bootstrap?.roas ?? null,
    cpa: posterior ? posterior.cpa : (bootstrap?.cpa ?? null),
    method: posterior ? 'posterior' : bootstrap ? 'bootstrap' : null,
  };
}

/**
 * The rules holding a channel, by their names in the scenario; the total budget, which holds
 * every channel, is left to the allocation's summary.
 */
function bindingOf(
  channel: string,
  allocation: ReportAllocation,
  bound: 'lower' | 'upper' | 'locked' | null,
): string[] {
  const rules = allocation.binding
    .filter((b) => b.kind !== 'budget' && b.channels.includes(channel))
    .map((b) => b.rule);
  return rules.length === 0 && bound ? [`${bound} bound`] : rules;
}

/** Computes every figure of the report. */
export function buildReportData(model: MediaMixModel, options: ReportOptions = {}): ReportData {
  const n = model.periods.count;
  const trainEnd = model.periods.trainEnd;
  const dates = model.periods.dates ?? Array.from({ length: n }, (_, t) => String(t + 1));
  const parts = decompose(model);
  const kpi = model.kpi;
  const conversions = kpi.type === 'conversions';

  // Baseline groups (intercept in 'base'), organic media with the baseline, paid channels.
  const groups = new Map<string, Float64Array>();
  const addTo = (name: string, series: ArrayLike<number>) => {
    const target = groups.get(name) ?? new Float64Array(n);
    for (let t = 0; t < n; t++) target[t] += series[t];
    groups.set(name, target);
  };
  addTo('base', parts.intercept);
  for (const term of model.baseline) addTo(term.group, parts.baseline[term.name]);
  const paid = model.channels.filter((c) => c.kind === 'paid');
  for (const c of model.channels) if (c.kind === 'organic') addTo('organic', parts.media[c.name]);
  const synergy = new Float64Array(n);
  for (const series of Object.values(parts.interactions)) {
    for (let t = 0; t < n; t++) synergy[t] += series[t];
  }
  const hasSynergy = model.interactions.length > 0;

  const totalFitted = sum(parts.fitted, trainEnd);
  const totalActual = sum(model.actual, trainEnd);
  const baselineTotal = [...groups.values()].reduce((a, s) => a + sum(s, trainEnd), 0);
  const synergyTotal = sum(synergy, trainEnd);

  // Per paid channel over the training rows.
  const raw = paid.map((c) => {
    const spendSeries = c.history.map((v) => v * c.costPerUnit);
    const spend = sum(spendSeries, trainEnd);
    const contribution = sum(parts.media[c.name], trainEnd);
    const adstocked = adstockSeries(model, c, c.history);
    const immediate = immediateSeries(model, c, c.history);
    let carryover = 0;
    for (let t = 0; t < trainEnd; t++) {
      // Robyn's carryover decomposition: the saturation curve at the carryover level.
      const carry = adstocked[t] - immediate[t];
      if (carry > 0) carryover += c.coefficient * saturationValue(c.saturation, carry);
    }
    carryover = contribution > 0 ? Math.min(carryover, contribution) : 0;
    const marginal =
      c.meanSpend > 0 ? responseCurve(model, c.name, [c.meanSpend])[0].marginal : null;
    return { c, spend, contribution, carryover, marginal };
  });
  const paidSpend = raw.reduce((a, r) => a + r.spend, 0);
  const paidContribution = raw.reduce((a, r) => a + r.contribution, 0);
  let intervalMethod: string | null = null;
  const channels: ChannelFigures[] = raw.map(({ c, spend, contribution, carryover, marginal }) => {
    const iv = channelIntervals(model, c.name);
    intervalMethod ??= iv.method;
    const roas = spend > 0 ? contribution / spend : null;
    const cpa = contribution > 0 ? spend / contribution : null;
    return {
      name: c.name,
      spend,
      spendShare: paidSpend > 0 ? spend / paidSpend : 0,
      contribution,
      effectShare: paidContribution > 0 ? contribution / paidContribution : 0,
      roas:
        !conversions && roas !== null
          ? { estimate: roas, lower: iv.roas?.lower ?? null, upper: iv.roas?.upper ?? null }
          : null,
      cpa:
        conversions && cpa !== null
          ? { estimate: cpa, lower: iv.cpa?.lower ?? null, upper: iv.cpa?.upper ?? null }
          : null,
      marginalRoas: marginal,
      immediate: contribution - carryover,
      carryover,
      carryoverShare: contribution > 0 ? carryover / contribution : 0,
    };
  });

  const allocation = options.allocation ?? null;
  const recommendedOf = new Map(allocation?.channels.map((a) => [a.channel, a.recommended]));
  const points = Math.max(2, options.curvePoints ?? 41);
  const curves: CurveFigures[] = paid.map((c) => {
    const rec = recommendedOf.get(c.name);
    const top = Math.max(3 * c.meanSpend, rec !== undefined ? 1.25 * rec : 0) || 1;
    const spends = Array.from({ length: points }, (_, k) => (top * k) / (points - 1));
    const curve = responseCurve(model, c.name, spends);
    const at = (spend: number) => responseCurve(model, c.name, [spend])[0].response;
    return {
      channel: c.name,
      points: curve.map((p) => ({ spend: p.spend, response: p.response })),
      current: { spend: c.meanSpend, response: at(c.meanSpend) },
      recommended: rec !== undefined ? { spend: rec, response: at(rec) } : null,
    };
  });

  const quality: ReportData['quality'] = {
    r2: model.metrics.rsq,
    adjustedR2: model.metrics.adjustedRsq,
    nrmse: model.metrics.nrmse,
    mape: model.metrics.mape,
    decompRssd: model.metrics.decompRssd,
    holdout: model.metrics.holdout
      ? {
          periods: model.metrics.holdout.periods,
          r2: model.metrics.holdout.rsq,
          nrmse: model.metrics.holdout.nrmse,
          mape: model.metrics.holdout.mape,
        }
      : null,
  };

  const mediaKpi = paidContribution + synergyTotal;
  const reallocation = allocation
    ? {
        periods: allocation.periods,
        budget: allocation.budget,
        moved:
          (allocation.channels.reduce((a, c) => a + Math.abs(c.recommended - c.current), 0) *
            allocation.periods) /
          2,
        lift: allocation.expectedKpi.lift,
        liftShare:
          allocation.expectedKpi.current.estimate !== 0
            ? allocation.expectedKpi.lift.estimate / allocation.expectedKpi.current.estimate
            : null,
      }
    : null;

  const unit = unitOf(model);
  const level = model.uncertainty?.level ?? null;
  const caveats = [...caveatsFor(model, channels, allocation, unit), ...(options.notes ?? [])];
  return {
    title:
      options.title ?? `${kpi.name.charAt(0).toUpperCase()}${kpi.name.slice(1)} media mix report`,
    generatedAt: options.generatedAt ?? new Date().toISOString(),
    modelLabel: options.modelLabel ?? null,
    scenarioLabel: options.scenarioLabel ?? null,
    kpi,
    period: {
      start: dates[0],
      end: dates[n - 1],
      periods: n,
      trainingPeriods: trainEnd,
      holdoutPeriods: n - trainEnd,
      unit,
    },
    headline: {
      totalKpi: totalActual,
      mediaKpi,
      mediaShare: totalFitted !== 0 ? mediaKpi / totalFitted : 0,
      totalSpend: paidSpend,
      roas: !conversions && paidSpend > 0 ? paidContribution / paidSpend : null,
      cpa: conversions && paidContribution > 0 ? paidSpend / paidContribution : null,
      reallocation,
      quality: qualityGrade(quality),
    },
    series: {
      dates,
      actual: Array.from(model.actual),
      fitted: Array.from(parts.fitted),
      holdoutStart: trainEnd < n ? trainEnd : null,
      baseline: Array.from({ length: n }, (_, t) => {
        let v = 0;
        for (const s of groups.values()) v += s[t];
        return v;
      }),
      parts: [
        ...[...groups].map(([name, s]) => ({
          name,
          group: 'baseline' as const,
          values: Array.from(s),
        })),
        ...paid.map((c) => ({
          name: c.name,
          group: 'media' as const,
          values: Array.from(parts.media[c.name]),
        })),
        ...(hasSynergy
          ? [{ name: 'synergy', group: 'media' as const, values: Array.from(synergy) }]
          : []),
      ],
    },
    waterfall: [
      { name: 'Baseline', kind: 'baseline', value: baselineTotal },
      ...channels.map((c) => ({ name: c.name, kind: 'media' as const, value: c.contribution })),
      ...(hasSynergy ? [{ name: 'Synergy', kind: 'synergy' as const, value: synergyTotal }] : []),
      { name: 'Total', kind: 'total', value: totalFitted },
    ],
    channels,
    intervals: level !== null && intervalMethod ? { level, method: intervalMethod } : null,
    curves,
    allocation: allocation
      ? {
          objective: allocation.objective,
          periods: allocation.periods,
          budget: allocation.budget,
          method: allocation.method ?? null,
          status: allocation.status ?? null,
          spend: allocation.spend,
          expectedKpi: allocation.expectedKpi,
          budgetBinding: allocation.binding.some((b) => b.kind === 'budget'),
          rows: allocation.channels.map((a) => ({
            channel: a.channel,
            current: a.current,
            recommended: a.recommended,
            change: a.change,
            kpiChange: a.response.recommended - a.response.current,
            binding: bindingOf(a.channel, allocation, a.bound ?? null),
            beyondHistory: a.beyondHistory === true,
          })),
          notes: allocation.notes,
        }
      : null,
    attribution: options.attribution ? attributionTable(options.attribution, channels) : null,
    quality,
    caveats,
    method: methodText(model, unit),
  };
}

function attributionTable(
  run: ReportAttribution,
  channels: ChannelFigures[],
): NonNullable<ReportData['attribution']> {
  const names = [...new Set([...run.methods.flatMap((m) => m.channels.map((c) => c.channel))])];
  for (const c of channels) if (!names.includes(c.name)) names.push(c.name);
  const methods = [...run.methods.map((m) => m.method), 'MMM'];
  const shares = names.map((name) => [
    ...run.methods.map((m) => m.channels.find((c) => c.channel === name)?.share ?? null),
    channels.find((c) => c.name === name)?.effectShare ?? null,
  ]);
  return { methods, channels: names, shares };
}

function caveatsFor(
  model: MediaMixModel,
  channels: ChannelFigures[],
  allocation: ReportAllocation | null,
  unit: string,
): string[] {
  const out: string[] = [
    'A media mix model measures association in aggregate data, calibrated by its assumptions (adstock and saturation shapes, the controls given). It is not an experiment: lift tests are the way to confirm a channel’s effect.',
  ];
  if (!model.uncertainty) {
    out.push(
      'This model carries no intervals: ROAS figures are point estimates. Train with bootstrap samples or the posterior selection for intervals.',
    );
  } else {
    out.push(
      `Intervals cover ${Math.round(model.uncertainty.level * 100)}% of the model’s draws; they reflect the uncertainty the fit can see, not errors in the model’s form.`,
    );
  }
  if (!model.metrics.holdout) {
    out.push(
      'No periods were held out, so the model’s accuracy on unseen periods is not measured.',
    );
  }
  const wide = channels.filter(
    (c) =>
      c.roas &&
      c.roas.lower !== null &&
      c.roas.upper !== null &&
      c.roas.estimate > 0 &&
      (c.roas.upper - c.roas.lower) / c.roas.estimate > 1,
  );
  if (wide.length > 0) {
    out.push(
      `The ROAS of ${wide.map((c) => c.name).join(', ')} is uncertain (interval wider than the estimate): treat its ranking with care.`,
    );
  }
  if (allocation) {
    const beyond = allocation.channels.filter((c) => c.beyondHistory).map((c) => c.channel);
    if (beyond.length > 0) {
      out.push(
        `The recommendation takes ${beyond.join(', ')} beyond the largest spend per ${unit} seen in the data: the response there is extrapolated.`,
      );
    }
    out.push(
      `Expected KPI figures are forecasts over ${allocation.periods} ${unit}s with the baseline continued from its trend and seasonality.`,
    );
    for (const note of allocation.notes) out.push(note);
  }
  return out;
}

function methodText(model: MediaMixModel, unit: string): string[] {
  const adstock =
    model.adstock === 'geometric'
      ? 'geometric adstock'
      : `Weibull (${model.adstock.slice(8).toUpperCase()}) adstock`;
  const saturation = model.channels[0]?.saturation.type === 'logistic' ? 'logistic' : 'Hill';
  const search = model.provenance?.search;
  return [
    `The KPI per ${unit} is modelled as a baseline (intercept, trend, seasonality, events and controls) plus each paid channel’s spend passed through ${adstock} (carryover into later ${unit}s) and ${saturation} saturation (diminishing returns), fitted by ridge regression with non-negative media effects.`,
    search
      ? `The transformation settings were searched by ${search.algorithm} over ${search.candidates.toLocaleString('en-US')} candidates on fit (NRMSE) and decomposition distance (DECOMP.RSSD); the model was chosen by ${typeof search.selection === 'string' ? search.selection : 'the knee within a tolerance'}.`
      : 'The transformation settings were chosen by a multi-objective search on fit (NRMSE) and decomposition distance (DECOMP.RSSD).',
    'ROAS is the modelled incremental KPI divided by spend over the training periods; marginal ROAS is the extra KPI from one more unit of spend at the current level. Carryover is the part of a channel’s effect that comes from spend in earlier periods.',
    'Response curves scale each channel’s historical spend pattern to a new mean spend per period; recommended budgets come from the allocator, which maximises the modelled response under the scenario’s rules.',
  ];
}
