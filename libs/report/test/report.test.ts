import { decompose, responseCurve } from '@mmm/core';
import {
  buildReportData,
  parseReportAllocation,
  parseReportAttribution,
  qualityGrade,
  renderReportHtml,
  REPORT_SECTIONS,
  ReportInputError,
  reportTables,
  tableCsv,
  tablesJson,
} from '../src';
import { knownAllocation, knownModel } from './fixtures';

const generatedAt = '2024-04-01T00:00:00.000Z';
const attribution = {
  id: 'att_1',
  results: [
    {
      method: 'LAST_TOUCH',
      channels: [
        { channel: 'tv', credit: 20, share: 0.2 },
        { channel: 'search', credit: 80, share: 0.8 },
      ],
    },
  ],
};
const sum = (v: ArrayLike<number>, end: number) => {
  let s = 0;
  for (let t = 0; t < end; t++) s += v[t];
  return s;
};

describe('the report figures', () => {
  const model = knownModel();
  const data = buildReportData(model, {
    allocation: parseReportAllocation(knownAllocation()),
    attribution: parseReportAttribution(attribution),
    generatedAt,
  });
  const parts = decompose(model);

  it('credits each paid channel with its modelled contribution over the training periods', () => {
    const [tv, search] = data.channels;
    expect(data.channels.map((c) => c.name)).toEqual(['tv', 'search']); // organic is baseline
    expect(tv.contribution).toBeCloseTo(sum(parts.media.tv, 10), 9);
    expect(tv.spend).toBe(1000);
    expect(tv.roas).toEqual({ estimate: tv.contribution / 1000, lower: 1.2, upper: 1.9 });
    expect(tv.cpa).toBeNull();
    expect(tv.effectShare + search.effectShare).toBeCloseTo(1, 12);
    expect(tv.spendShare).toBeCloseTo(1000 / 1500, 12);
    expect(tv.marginalRoas).toBeCloseTo(responseCurve(model, 'tv', [100])[0].marginal, 12);
    // search has no adstock: no carryover; tv (theta 0.5) has some.
    expect(search.carryover).toBe(0);
    expect(tv.carryoverShare).toBeGreaterThan(0.1);
    expect(tv.immediate + tv.carryover).toBeCloseTo(tv.contribution, 9);
    expect(data.intervals).toEqual({ level: 0.9, method: 'bootstrap' });
  });

  it("takes the intervals over the model's draws when it keeps them", () => {
    const drawn = knownModel();
    const interval = (lower: number, upper: number) => ({ lower, median: lower, upper });
    drawn.uncertainty!.combined = {
      method: 'posterior-bootstrap',
      draws: 200,
      channels: ['tv', 'search'].map((name) => ({
        name,
        contribution: null,
        roas: interval(1.1, 2.2),
        cpa: interval(0.45, 0.9),
        marginalRoas: null,
        effectShare: null,
      })),
    };
    const figures = buildReportData(drawn, { generatedAt });
    expect(figures.intervals).toEqual({ level: 0.9, method: 'posterior-bootstrap' });
    expect(figures.channels[0].roas).toMatchObject({ lower: 1.1, upper: 2.2 });
  });

  it('adds the waterfall up to the fitted total, the baseline holding organic media', () => {
    const total = sum(parts.fitted, 10);
    const steps = data.waterfall;
    expect(steps.map((s) => s.name)).toEqual(['Baseline', 'tv', 'search', 'Total']);
    expect(steps[3].value).toBeCloseTo(total, 9);
    expect(steps[0].value + steps[1].value + steps[2].value).toBeCloseTo(total, 9);
    expect(data.headline.mediaShare).toBeCloseTo((steps[1].value + steps[2].value) / total, 12);
    expect(data.headline.roas).toBeCloseTo((steps[1].value + steps[2].value) / 1500, 12);
    data.series.dates.forEach((_, t) =>
      expect(
        data.series.baseline[t] +
          data.series.parts.filter((p) => p.group === 'media').reduce((a, p) => a + p.values[t], 0),
      ).toBeCloseTo(parts.fitted[t], 9),
    );
    expect(data.series.holdoutStart).toBe(10);
  });

  it('marks current and recommended spend on each response curve', () => {
    const tv = data.curves[0];
    expect(tv.current.spend).toBe(100);
    expect(tv.recommended).toEqual({
      spend: 180,
      response: responseCurve(model, 'tv', [180])[0].response,
    });
    expect(tv.points[tv.points.length - 1].spend).toBeCloseTo(300, 9);
    expect(data.curves[1].recommended?.spend).toBe(0);
  });

  it('states the reallocation, its lift with the interval, and the rules that bind each channel', () => {
    expect(data.headline.reallocation).toEqual({
      periods: 4,
      budget: 600,
      moved: ((80 + 50) * 4) / 2,
      lift: { estimate: 400, lower: 250, upper: 550 },
      liftShare: 400 / 5000,
    });
    expect(data.allocation?.rows).toEqual([
      {
        channel: 'tv',
        current: 100,
        recommended: 180,
        change: 0.8,
        kpiChange: 300,
        binding: [],
        beyondHistory: true,
      },
      {
        channel: 'search',
        current: 50,
        recommended: 0,
        change: -1,
        kpiChange: -300,
        binding: ['channels.search.min'],
        beyondHistory: false,
      },
    ]);
    expect(data.allocation?.budgetBinding).toBe(true);
    expect(data.caveats.join(' ')).toMatch(/takes tv beyond the largest spend per week/);
  });

  it('puts the MMM effect share beside the attribution methods', () => {
    expect(data.attribution).toEqual({
      methods: ['LAST_TOUCH', 'MMM'],
      channels: ['tv', 'search'],
      shares: [
        [0.2, data.channels[0].effectShare],
        [0.8, data.channels[1].effectShare],
      ],
    });
  });

  it('gives CPA instead of ROAS for a conversions KPI', () => {
    const conv = buildReportData(knownModel('conversions'), { generatedAt });
    expect(conv.channels[0].roas).toBeNull();
    expect(conv.channels[0].cpa).toEqual({
      estimate: 1000 / conv.channels[0].contribution,
      lower: 0.5,
      upper: 0.8,
    });
    expect(conv.headline.roas).toBeNull();
    expect(conv.headline.cpa).toBeGreaterThan(0);
    expect(conv.headline.reallocation).toBeNull();
    expect(conv.allocation).toBeNull();
    expect(conv.title).toBe('Orders media mix report');
  });

  it('grades the model: good, fair or weak by R², NRMSE and holdout MAPE', () => {
    const q = {
      r2: 0.85,
      adjustedR2: 0.84,
      nrmse: 0.08,
      mape: 0.05,
      decompRssd: 0.1,
      holdout: null,
    };
    expect(qualityGrade(q).grade).toBe('good');
    expect(
      qualityGrade({ ...q, holdout: { periods: 4, r2: 0.5, nrmse: 0.2, mape: 0.2 } }).grade,
    ).toBe('fair');
    expect(qualityGrade({ ...q, r2: 0.7 }).grade).toBe('fair');
    expect(qualityGrade({ ...q, r2: 0.5 }).grade).toBe('weak');
    expect(qualityGrade({ ...q, r2: 0.5 }).reasons[0]).toBe('R² 0.50 (below 0.6)');
  });
});

describe('the HTML page', () => {
  const model = knownModel();
  const full = renderReportHtml(
    buildReportData(model, {
      allocation: parseReportAllocation(knownAllocation()),
      attribution: parseReportAttribution(attribution),
      generatedAt,
      modelLabel: 'Model m_1, version 2',
    }),
  );

  it('has every section in the report order', () => {
    const at = REPORT_SECTIONS.map((id) => full.indexOf(`<section id="${id}"`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(full).toContain('<h1>Revenue media mix report</h1>');
    expect(full).toContain('Model m_1, version 2');
  });

  it('is self-contained: inline SVG and CSS, no script, no external request', () => {
    expect(full).not.toMatch(/<script|<link|<img|<iframe|@import|url\(http/i);
    expect(full).not.toMatch(/(src|href)="https?:/);
    expect((full.match(/<svg /g) ?? []).length).toBe(6 + 2 + 2); // 6 charts, 2 curves, allocation, attribution
  });

  it('leaves out the allocation and attribution without them', () => {
    const bare = renderReportHtml(buildReportData(model, { generatedAt }));
    expect(bare).not.toContain('<section id="allocation"');
    expect(bare).not.toContain('<section id="attribution"');
    expect(bare).toContain('no budget scenario in this report');
  });

  it('escapes names from the data', () => {
    const m = knownModel();
    m.channels[0].name = '<b>tv</b>';
    m.uncertainty = undefined;
    const html = renderReportHtml(buildReportData(m, { generatedAt }));
    expect(html).toContain('&lt;b&gt;tv&lt;/b&gt;');
    expect(html).not.toContain('<b>tv</b>');
  });

  it('embeds every table as a CSV download, and all of them as JSON', () => {
    const data = buildReportData(model, { generatedAt });
    const html = renderReportHtml(data);
    const tables = reportTables(data);
    for (const t of tables) {
      const link = new RegExp(
        `download="${t.name}.csv" href="data:text/csv;charset=utf-8,([^"]*)"`,
      ).exec(html);
      expect(decodeURIComponent(link![1])).toBe(tableCsv(t));
    }
    const json =
      /download="report-tables.json" href="data:application\/json;charset=utf-8,([^"]*)"/.exec(
        html,
      );
    expect(JSON.parse(decodeURIComponent(json![1]))).toEqual(JSON.parse(tablesJson(tables)));
  });
});

describe('the tables', () => {
  const data = buildReportData(knownModel(), {
    allocation: parseReportAllocation(knownAllocation()),
    attribution: parseReportAttribution(attribution),
    generatedAt,
  });
  const tables = reportTables(data);

  it('has one table per figure set of the report', () => {
    expect(tables.map((t) => t.name)).toEqual([
      'headline',
      'decomposition',
      'waterfall',
      'channels',
      'response_curves',
      'allocation',
      'attribution',
      'quality',
    ]);
    const channels = tables.find((t) => t.name === 'channels')!;
    expect(channels.rows[0].slice(0, 2)).toEqual(['tv', 1000]);
    expect(channels.rows[0][6]).toBe(1.2);
    for (const t of tables) for (const row of t.rows) expect(row).toHaveLength(t.columns.length);
  });

  it('writes RFC 4180 CSV', () => {
    const csv = tableCsv({
      name: 'x',
      title: 'x',
      columns: ['a', 'b'],
      rows: [
        ['say "hi", then', null],
        ['x', 1.5],
      ],
    });
    expect(csv).toBe('a,b\r\n"say ""hi"", then",\r\nx,1.5\r\n');
  });
});

describe('inputs', () => {
  it('reads a stored scenario, the engine result or `mmm allocate` JSON alike', () => {
    const a = knownAllocation();
    expect(parseReportAllocation({ schemaVersion: 1, id: 's1', allocation: a })).toEqual(
      parseReportAllocation(a),
    );
  });

  it('names the field of a malformed allocation', () => {
    const a = knownAllocation();
    (a.channels[1] as Record<string, unknown>).recommended = 'lots';
    expect(() => parseReportAllocation(a)).toThrow(
      new ReportInputError('channels[1].recommended', 'expected a finite number'),
    );
  });

  it('reads `mmm attribute` JSON', () => {
    const run = parseReportAttribution({
      methods: {
        last: {
          channels: {
            tv: { conversions: 3, value: 30, share: 0.75 },
            search: { conversions: 1, value: 10, share: 0.25 },
          },
        },
      },
    });
    expect(run.methods).toEqual([
      {
        method: 'last',
        channels: [
          { channel: 'tv', credit: 3, share: 0.75 },
          { channel: 'search', credit: 1, share: 0.25 },
        ],
      },
    ]);
  });
});
