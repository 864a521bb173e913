/**
 * The executive report as one self-contained HTML page: inline CSS, inline SVG charts, the
 * tables as data: downloads; no script and no external request, so it opens offline, mails as
 * one file and prints to PDF as it shows.
 */
import { renderReportCharts, waterfallAxisMin, type ReportCharts } from './charts/charts';
import type { ReportData } from './data';
import {
  compact,
  escapeHtml as e,
  percent,
  ratio,
  signedCompact,
  signedPercent,
  withInterval,
} from './format';
import { reportTables, tableCsv, tablesJson } from './tables';

/** Section ids in order; tests and the dashboard rely on them. */
export const REPORT_SECTIONS = [
  'headline',
  'fit',
  'contributions',
  'channels',
  'curves',
  'allocation',
  'attribution',
  'quality',
  'method',
] as const;

const CSS = `
:root { --ink:#1d2330; --muted:#5b6475; --line:#d9dde5; --accent:#0072B2; --good:#1a7f4b; --fair:#b26b00; --weak:#b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 40px; }
header.report { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 18px; }
header.report h1 { margin: 0 0 4px; font-size: 26px; }
header.report p { margin: 2px 0; color: var(--muted); }
h2 { font-size: 19px; margin: 28px 0 6px; padding-bottom: 4px; border-bottom: 1px solid var(--line); break-after: avoid; }
h3 { font-size: 15px; margin: 16px 0 4px; break-after: avoid; }
p.lead { margin: 4px 0 10px; color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; break-inside: avoid; }
.card .label { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.card .value { font-size: 24px; font-weight: 700; margin: 2px 0; }
.card .note { font-size: 12px; color: var(--muted); }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff; font-weight: 700; font-size: 14px; }
.badge.good { background: var(--good); } .badge.fair { background: var(--fair); } .badge.weak { background: var(--weak); }
figure { margin: 8px 0 14px; break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 2px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.curves { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
.curves figure { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; break-inside: avoid; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: right; }
td { white-space: nowrap; } td.text { white-space: normal; text-align: left; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f3f5f8; font-weight: 600; }
td.up { color: var(--good); } td.down { color: var(--weak); }
ul.caveats li { margin: 4px 0; }
.downloads { margin-top: 24px; font-size: 12px; color: var(--muted); }
.downloads a { margin-right: 10px; color: var(--accent); }
footer { margin-top: 20px; font-size: 11px; color: var(--muted); }
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  main { max-width: none; padding: 0; }
  body { font-size: 12px; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .page { break-before: page; }
  .downloads { display: none; }
  .cards { grid-template-columns: repeat(3, 1fr); }
}
`;

export interface HtmlOptions {
  /** Charts already drawn (default: drawn here). */
  charts?: ReportCharts;
  /** Embed the tables as CSV and JSON downloads (default true). */
  downloads?: boolean;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function dataUri(type: string, text: string): string {
  return `data:${type};charset=utf-8,${encodeURIComponent(text)}`;
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${e(caption)}</figcaption></figure>`;
}

function card(label: string, value: string, note: string, id: string): string {
  return `<div class="card" data-card="${id}"><div class="label">${e(label)}</div><div class="value">${value}</div><div class="note">${e(note)}</div></div>`;
}

function changeClass(v: number | null): string {
  return v === null || Math.abs(v) < 1e-9 ? '' : v > 0 ? ' class="up"' : ' class="down"';
}

/** Renders the report page. */
export function renderReportHtml(data: ReportData, options: HtmlOptions = {}): string {
  const charts = options.charts ?? renderReportCharts(data);
  const cpa = data.kpi.type === 'conversions';
  const unit = data.period.unit;
  const h = data.headline;
  const kpi = e(data.kpi.name);
  const sections: string[] = [];
  const waterfallMin = waterfallAxisMin(data.waterfall);

  // Headline
  const realloc = h.reallocation;
  const cards = [
    card(
      `${data.kpi.name}, ${data.period.start} to ${data.period.end}`,
      compact(h.totalKpi),
      `${data.period.trainingPeriods} ${unit}s modelled${data.period.holdoutPeriods ? `, ${data.period.holdoutPeriods} held out` : ''}`,
      'kpi',
    ),
    card(
      'Media-driven share',
      percent(h.mediaShare),
      `${compact(h.mediaKpi)} of ${data.kpi.name} from paid media`,
      'media-share',
    ),
    card(
      cpa ? 'Cost per conversion (CPA)' : 'Return on ad spend (ROAS)',
      ratio(cpa ? h.cpa : h.roas),
      `${compact(h.totalSpend)} spent on paid media`,
      'roas',
    ),
    card(
      'Recommended reallocation',
      realloc ? compact(realloc.moved) : '–',
      realloc
        ? `spend moved between channels over ${realloc.periods} ${unit}s (budget ${compact(realloc.budget)})`
        : 'no budget scenario in this report',
      'reallocation',
    ),
    card(
      'Expected lift',
      realloc ? signedCompact(realloc.lift.estimate) : '–',
      realloc
        ? `${data.kpi.name}${realloc.liftShare !== null ? ` (${signedPercent(realloc.liftShare)})` : ''}${
            realloc.lift.lower !== null && realloc.lift.upper !== null
              ? `; interval ${signedCompact(realloc.lift.lower)} to ${signedCompact(realloc.lift.upper)}`
              : ''
          }`
        : 'run a budget scenario to see it',
      'lift',
    ),
    card(
      'Model quality',
      `<span class="badge ${h.quality.grade}">${h.quality.grade.toUpperCase()}</span>`,
      h.quality.reasons.join('; '),
      'quality',
    ),
  ];
  sections.push(
    `<section id="headline"><h2>Headline</h2><div class="cards">${cards.join('')}</div></section>`,
  );

  // Fit and decomposition
  sections.push(`<section id="fit"><h2>Actual vs fitted ${kpi}</h2>
<p class="lead">The model's fitted ${kpi} per ${unit} against the actual figures${
    data.series.holdoutStart !== null
      ? `; the shaded ${unit}s at the end were held out of the fit and show how it predicts unseen ${unit}s`
      : ''
  }.</p>
${figure(charts.fit, `Actual and fitted ${data.kpi.name} per ${unit}.`)}</section>`);
  sections.push(`<section id="contributions" class="page"><h2>Where the ${kpi} comes from</h2>
<p class="lead">Baseline (what would happen without paid media: trend, seasonality, controls) and the increment each channel adds, over the modelled ${unit}s.</p>
<div class="pair">${figure(charts.waterfall, `Contribution waterfall: baseline, then each channel, to the total${waterfallMin > 0 ? ` (the axis starts at ${compact(waterfallMin)})` : ''}.`)}
${figure(charts.shares, 'Share of paid spend vs share of paid media effect per channel.')}</div>
${figure(charts.decomposition, `${capital(data.kpi.name)} per ${unit} stacked by source: baseline, then each channel; the dashed line is the actual ${data.kpi.name}.`)}</section>`);

  // Channels
  const label = cpa ? 'CPA' : 'ROAS';
  const ivNote = data.intervals
    ? `${Math.round(data.intervals.level * 100)}% ${data.intervals.method} intervals`
    : 'no intervals computed';
  const channelRows = data.channels
    .map(
      (c) =>
        `<tr><td>${e(c.name)}</td><td>${compact(c.spend)}</td><td>${compact(c.contribution)}</td><td>${withInterval(cpa ? c.cpa : c.roas)}</td><td>${ratio(cpa && c.marginalRoas ? 1 / c.marginalRoas : c.marginalRoas)}</td><td>${percent(c.spendShare)}</td><td>${percent(c.effectShare)}</td><td>${percent(c.carryoverShare)}</td></tr>`,
    )
    .join('');
  sections.push(`<section id="channels" class="page"><h2>What each channel returns</h2>
<p class="lead">${label} per channel over the modelled ${unit}s with ${e(ivNote)}; the diamond is the marginal ${label}: the return of one more unit of spend at today's level.</p>
<div class="pair">${figure(charts.roas, `${label} per channel (bars), interval (whiskers), marginal ${label} (diamonds).`)}
${figure(charts.carryover, `Immediate vs carryover ${data.kpi.name} per channel.`)}</div>
<table id="channel-table"><thead><tr><th>Channel</th><th>Spend</th><th>${kpi} contribution</th><th>${label} (interval)</th><th>Marginal ${label}</th><th>Spend share</th><th>Effect share</th><th>Carryover</th></tr></thead><tbody>${channelRows}</tbody></table></section>`);

  // Curves and allocation
  sections.push(`<section id="curves" class="page"><h2>Response curves</h2>
<p class="lead">Mean ${kpi} per ${unit} for each level of spend per ${unit}: the circle is today's spend${
    data.allocation ? ', the triangle the recommended spend' : ''
  }. Flattening curves mean diminishing returns.</p>
<div class="curves">${charts.curves.map((c) => `<figure data-channel="${e(c.channel)}">${c.svg}</figure>`).join('')}</div></section>`);
  if (data.allocation) {
    const a = data.allocation;
    const rows = a.rows
      .map(
        (r) =>
          `<tr><td>${e(r.channel)}${r.beyondHistory ? ' *' : ''}</td><td>${compact(r.current)}</td><td>${compact(r.recommended)}</td><td${changeClass(r.change)}>${signedPercent(r.change)}</td><td${changeClass(r.kpiChange)}>${signedCompact(r.kpiChange)}</td><td class="text">${e(r.binding.join(', ') || '–')}</td></tr>`,
      )
      .join('');
    const lift = a.expectedKpi.lift;
    sections.push(`<section id="allocation"><h2>Recommended allocation</h2>
<p class="lead">${e(data.scenarioLabel ?? 'Budget scenario')}: objective ${e(a.objective)}, ${a.periods} ${unit}s, budget ${compact(a.budget)}${
      a.method ? `, solved by ${e(a.method)} (${e(a.status ?? '')})` : ''
    }. Expected ${kpi} ${compact(a.expectedKpi.current.estimate)} → ${compact(a.expectedKpi.recommended.estimate)} (${withInterval(lift, signedCompact)})${
      a.budgetBinding ? '; the whole budget is spent' : ''
    }.</p>
<div class="pair">${figure(charts.allocation ?? '', `Current vs recommended spend per ${unit}.`)}
<table id="allocation-summary"><tbody>
<tr><td>Budget over ${a.periods} ${unit}s</td><td>${compact(a.budget)}</td></tr>
<tr><td>Paid spend, current mix</td><td>${compact(a.spend.current)}</td></tr>
<tr><td>Paid spend, recommended</td><td>${compact(a.spend.recommended)}</td></tr>
<tr><td>Expected ${kpi}, current mix</td><td>${withInterval(a.expectedKpi.current, compact)}</td></tr>
<tr><td>Expected ${kpi}, recommended</td><td>${withInterval(a.expectedKpi.recommended, compact)}</td></tr>
<tr><td>Expected lift</td><td>${withInterval(lift, signedCompact)}</td></tr>
</tbody></table></div>
<table id="allocation-table"><thead><tr><th>Channel</th><th>Current / ${unit}</th><th>Recommended / ${unit}</th><th>Change</th><th>Expected ${kpi} change</th><th style="text-align:left">Binding constraints</th></tr></thead><tbody>${rows}</tbody></table>
${a.rows.some((r) => r.beyondHistory) ? `<p class="lead">* beyond the largest spend per ${unit} in the data.</p>` : ''}</section>`);
  }

  // Attribution
  if (data.attribution && charts.attribution) {
    const t = data.attribution;
    const head = t.methods.map((m) => `<th>${e(m)}</th>`).join('');
    const rows = t.channels
      .map(
        (c, i) =>
          `<tr><td>${e(c)}</td>${t.shares[i].map((s) => `<td>${percent(s)}</td>`).join('')}</tr>`,
      )
      .join('');
    sections.push(`<section id="attribution" class="page"><h2>Attribution comparison</h2>
<p class="lead">Share of credit per channel by click-based methods beside the media mix model (MMM: each channel's share of the modelled media effect). Where they differ, click paths over- or under-credit a channel.</p>
${figure(charts.attribution, 'Share of credit per channel and method.')}
<table id="attribution-table"><thead><tr><th>Channel</th>${head}</tr></thead><tbody>${rows}</tbody></table></section>`);
  }

  // Quality and method
  const q = data.quality;
  const hq = q.holdout;
  sections.push(`<section id="quality"><h2>Model quality</h2>
<p class="lead"><span class="badge ${h.quality.grade}">${h.quality.grade.toUpperCase()}</span> ${e(h.quality.reasons.join('; '))}.</p>
<table id="quality-table"><thead><tr><th>Metric</th><th>Training (${data.period.trainingPeriods} ${unit}s)</th><th>Holdout${hq ? ` (${hq.periods} ${unit}s)` : ''}</th><th style="text-align:left">What it means</th></tr></thead><tbody>
<tr><td>R²</td><td>${ratio(q.r2, 3)}</td><td>${hq ? ratio(hq.r2, 3) : '–'}</td><td class="text">share of the KPI's variation the model explains (1 is perfect)</td></tr>
<tr><td>NRMSE</td><td>${ratio(q.nrmse, 3)}</td><td>${hq ? ratio(hq.nrmse, 3) : '–'}</td><td class="text">typical error relative to the KPI's range (lower is better)</td></tr>
<tr><td>MAPE</td><td>${percent(q.mape)}</td><td>${hq ? percent(hq.mape) : '–'}</td><td class="text">mean absolute percentage error per ${unit}</td></tr>
<tr><td>DECOMP.RSSD</td><td>${ratio(q.decompRssd, 3)}</td><td>–</td><td class="text">distance between spend shares and effect shares (lower is more plausible)</td></tr>
</tbody></table></section>`);
  sections.push(`<section id="method"><h2>Caveats and method</h2>
<h3>Read with care</h3><ul class="caveats">${data.caveats.map((c) => `<li>${e(c)}</li>`).join('')}</ul>
<h3>How the figures were made</h3>${data.method.map((m) => `<p>${e(m)}</p>`).join('')}</section>`);

  let downloads = '';
  if (options.downloads ?? true) {
    const tables = reportTables(data);
    downloads = `<section class="downloads" id="downloads"><strong>Data:</strong> ${tables
      .map(
        (t) =>
          `<a download="${t.name}.csv" href="${dataUri('text/csv', tableCsv(t))}">${e(t.name)}.csv</a>`,
      )
      .join(
        '',
      )}<a download="report-tables.json" href="${dataUri('application/json', tablesJson(tables))}">all tables (JSON)</a></section>`;
  }

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(data.title)}</title><style>${CSS}</style></head>
<body><main>
<header class="report"><h1>${e(data.title)}</h1>
<p>${e(data.modelLabel ?? 'Media mix model')} · ${kpi} per ${unit}, ${e(data.period.start)} to ${e(data.period.end)}</p>
${data.scenarioLabel ? `<p>Scenario: ${e(data.scenarioLabel)}</p>` : ''}</header>
${sections.join('\n')}
${downloads}
<footer>Generated ${e(data.generatedAt)} by the MMM platform.</footer>
</main></body></html>
`;
}
