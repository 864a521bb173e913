import {
  datasetId,
  prepareLongDataset,
  readExport,
  IssueList,
  type IngestOptions,
  type PreparedDataset,
} from '../src/domain';
import { isoDate } from './fixtures';

const CHANNELS = ['google_search', 'meta', 'tiktok'];

/** A mart in the shape of Fivetran's ad_reporting: one row per day and platform. */
function martRows(days: number, channels = CHANNELS) {
  const rows: Array<Record<string, string | number>> = [];
  for (let d = 0; d < days; d += 1) {
    channels.forEach((channel, c) => {
      rows.push({
        date: isoDate('2024-01-01', d),
        channel,
        spend: 100 + c * 10 + (d % 7) * (c + 1),
        impressions: 1000 + d * (c + 2),
        clicks: 50 + (d % 5) + c,
        conversions: 3 + ((d + c) % 4),
        revenue: 300 + ((d * 13 + c * 7) % 50),
      });
    });
  }
  return rows;
}

function csv(rows: Array<Record<string, string | number>>): string {
  const header = Object.keys(rows[0]);
  return [header.join(','), ...rows.map((r) => header.map((h) => r[h]).join(','))].join('\n');
}

function longOptions(overrides: Partial<IngestOptions> = {}): IngestOptions {
  return {
    format: 'LONG_CSV',
    frequency: 'DAILY',
    aggregateToWeekly: false,
    missingMediaAsZero: false,
    roles: { date: 'date', kpi: 'revenue', kpiType: 'REVENUE', paidMedia: [] },
    long: {
      columns: {
        date: 'date',
        channel: 'channel',
        spend: 'spend',
        impressions: 'impressions',
        clicks: 'clicks',
        conversions: 'conversions',
        revenue: 'revenue',
      },
      channelMap: [],
      exposure: 'IMPRESSIONS',
    },
    ...overrides,
  };
}

function ok(result: ReturnType<typeof prepareLongDataset>): PreparedDataset {
  if (!result.ok) throw new Error(JSON.stringify(result.issues.slice(0, 5)));
  return result.dataset;
}

const column = (dataset: PreparedDataset, name: string) =>
  dataset.table.columns.find((c) => c.name === name)?.values;

describe('long rows pivoted to the wide table', () => {
  it('makes a spend and an exposure column per channel and sums revenue into the KPI', () => {
    const rows = martRows(40);
    const dataset = ok(prepareLongDataset(csv(rows), null, longOptions()));
    expect(dataset.channels).toEqual([
      {
        name: 'google_search',
        spendColumn: 'google_search',
        exposureColumn: 'google_search impressions',
      },
      { name: 'meta', spendColumn: 'meta', exposureColumn: 'meta impressions' },
      { name: 'tiktok', spendColumn: 'tiktok', exposureColumn: 'tiktok impressions' },
    ]);
    expect(dataset.periodCount).toBe(40);
    expect(dataset.kpiColumn).toBe('revenue');
    const day3 = rows.filter((r) => r.date === '2024-01-04');
    expect(column(dataset, 'revenue')?.[3]).toBe(day3.reduce((s, r) => s + Number(r.revenue), 0));
    expect(column(dataset, 'meta')?.[3]).toBe(Number(day3[1].spend));
    expect(column(dataset, 'tiktok impressions')?.[3]).toBe(Number(day3[2].impressions));
  });

  it('reads rows in any order, and a channel without a row on a day spent 0 that day', () => {
    const rows = martRows(40)
      .reverse()
      .filter((r) => !(r.channel === 'tiktok' && r.date === '2024-01-10'));
    const dataset = ok(
      prepareLongDataset(JSON.stringify(rows), null, longOptions({ format: 'LONG_JSON' })),
    );
    expect(dataset.startDate).toBe('2024-01-01');
    expect(column(dataset, 'tiktok')?.[9]).toBe(0);
  });

  it('groups platforms into model channels with channelMap and sums them', () => {
    const rows = martRows(40);
    const options = longOptions();
    options.long!.channelMap = [
      { from: 'google_search', to: 'search' },
      { from: 'meta', to: 'social' },
      { from: 'tiktok', to: 'social' },
    ];
    options.long!.exposure = 'CLICKS';
    const dataset = ok(prepareLongDataset(csv(rows), null, options));
    expect(dataset.channels.map((c) => [c.name, c.exposureColumn])).toEqual([
      ['search', 'search clicks'],
      ['social', 'social clicks'],
    ]);
    const day0 = rows.filter((r) => r.date === '2024-01-01' && r.channel !== 'google_search');
    expect(column(dataset, 'social')?.[0]).toBe(day0.reduce((s, r) => s + Number(r.spend), 0));
  });

  it('joins a KPI and control series given beside the rows', () => {
    const rows = martRows(40);
    const series = [
      'day,sales,price',
      ...Array.from(
        { length: 40 },
        (_, d) => `${isoDate('2024-01-01', d)},${5000 + d * 17},${(9 + (d % 3)).toFixed(2)}`,
      ),
    ].join('\n');
    const options = longOptions({
      roles: { date: 'day', kpi: 'sales', kpiType: 'REVENUE', paidMedia: [], controls: ['price'] },
    });
    const dataset = ok(prepareLongDataset(csv(rows), series, options));
    expect(column(dataset, 'sales')?.[2]).toBe(5034);
    expect(dataset.controls).toEqual(['price']);
    expect(dataset.channels).toHaveLength(3);
  });

  it('gives the same id to the same rows, and another to other rows', () => {
    const options = longOptions();
    const a = csv(martRows(40));
    expect(datasetId(a, options)).toBe(datasetId(a, longOptions()));
    expect(datasetId(csv(martRows(41)), options)).not.toBe(datasetId(a, options));
  });
});

describe('bad long rows', () => {
  function issues(content: string, options = longOptions()) {
    const result = prepareLongDataset(content, null, options);
    if (result.ok) throw new Error('expected problems');
    return result.issues;
  }

  it('reports a repeated date x channel row on the later row', () => {
    const rows = martRows(40);
    rows.splice(7, 0, { ...rows[3] });
    expect(issues(csv(rows))).toEqual([
      {
        row: 8,
        column: 'channel',
        field: 'content',
        message:
          'row 8 (line 9): channel "google_search" on 2024-01-02 is repeated (first on row 4 (line 5)).',
      },
    ]);
  });

  it('reports a channel the map does not list', () => {
    const options = longOptions();
    options.long!.channelMap = [
      { from: 'google_search', to: 'search' },
      { from: 'meta', to: 'social' },
    ];
    const found = issues(csv(martRows(40)), options);
    expect(found[0]).toEqual({
      row: 3,
      column: 'channel',
      field: 'long.channelMap',
      message:
        'row 3 (line 4), column "channel": channel "tiktok" is not in long.channelMap (it maps "google_search", "meta").',
    });
    expect(found.every((i) => i.field === 'long.channelMap')).toBe(true);
  });

  it('reports negative spend on its row and column', () => {
    const rows = martRows(40);
    rows[5].spend = -12;
    expect(issues(csv(rows))).toEqual([
      {
        row: 6,
        column: 'spend',
        field: 'long.columns.spend',
        message: 'row 6 (line 7), column "spend": spend is negative (-12); it must be 0 or more.',
      },
    ]);
  });

  it('refuses paidMedia roles: the channels come from the rows', () => {
    const options = longOptions({
      roles: { date: 'date', kpi: 'revenue', kpiType: 'REVENUE', paidMedia: [{ spend: 'x' }] },
    });
    expect(issues(csv(martRows(40)), options).map((i) => i.field)).toEqual(['roles.paidMedia']);
  });

  it('reports a media date missing from the series', () => {
    const series = [
      'date,sales',
      ...Array.from({ length: 39 }, (_, d) => `${isoDate('2024-01-01', d)},${100 + d}`),
    ].join('\n');
    const result = prepareLongDataset(
      csv(martRows(40)),
      series,
      longOptions({ roles: { date: 'date', kpi: 'sales', kpiType: 'REVENUE', paidMedia: [] } }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues).toEqual([
        expect.objectContaining({
          field: 'long.series',
          message: expect.stringContaining('2024-02-09 has media rows'),
        }),
      ]);
    }
  });
});

describe('platform exports read as they are downloaded', () => {
  it('reads a Google Ads report: title lines, thousands separators, "--" and totals rows', () => {
    const lines = [
      'Campaign report',
      '"January 1, 2024 - January 31, 2024"',
      'Day,Campaign type,Currency code,Cost,Impr.,Clicks,Conversions,Conv. value',
      ...Array.from({ length: 40 }, (_, d) => {
        const day = isoDate('2024-01-01', d);
        return [
          `${day},Search,USD,"1,${String(200 + d).padStart(3, '0')}.50","12,${String(100 + d * 3).padStart(3, '0')}",${300 + d},${(10 + (d % 4)).toFixed(2)},"2,${String(100 + d * 7).padStart(3, '0')}.00"`,
          `${day},Video,USD,${(300 + (d % 6) * 11).toFixed(2)},"40,${String(500 + d).padStart(3, '0')}",${d % 3 === 0 ? '--' : 20 + d},0.00,0.00`,
        ];
      }).flat(),
      'Total: Account,--,USD,"99,999.00","999,999",9999,99.00,"9,999.00"',
      'Total: Campaigns,--,USD,"99,999.00","999,999",9999,99.00,"9,999.00"',
    ];
    const list = new IssueList();
    const table = readExport(lines.join('\n'), 'GOOGLE_ADS_CSV', list);
    expect(list.listed).toEqual([]);
    expect(table!.rows).toHaveLength(80);
    expect(Object.fromEntries(table!.rows[0].cells)).toEqual({
      date: '2024-01-01',
      channel: 'Search',
      spend: '1200.50',
      impressions: '12100',
      clicks: '300',
      conversions: '10.00',
      revenue: '2100.00',
    });
    expect(table!.rows[1].cells.get('clicks')).toBe('0');

    const dataset = ok(
      prepareLongDataset(lines.join('\n'), null, longOptions({ format: 'GOOGLE_ADS_CSV' })),
    );
    expect(dataset.channels.map((c) => c.name)).toEqual(['Search', 'Video']);
    expect(column(dataset, 'Search')?.[1]).toBe(1201.5);
    expect(column(dataset, 'revenue')?.[0]).toBe(2100);
  });

  it('reads a Meta Ads Manager export with the currency in the spend column name', () => {
    const lines = [
      'Reporting starts,Reporting ends,Campaign name,Day,Amount spent (EUR),Impressions,Link clicks,Purchases,Purchases conversion value',
      ...Array.from({ length: 40 }, (_, d) => {
        const day = isoDate('2024-03-01', d);
        return [
          `2024-03-01,2024-04-09,Prospecting,${day},"€1,${String(100 + d).padStart(3, '0')}.25","25,${String(300 + d).padStart(3, '0')}",${400 + d},${5 + (d % 3)},"€${800 + d * 3}.00"`,
          `2024-03-01,2024-04-09,Retargeting,${day},${(200 + (d % 5) * 9).toFixed(2)},${9000 + d * 11},${150 + (d % 7)},,`,
        ];
      }).flat(),
    ];
    const dataset = ok(
      prepareLongDataset(lines.join('\n'), null, longOptions({ format: 'META_ADS_CSV' })),
    );
    expect(dataset.channels.map((c) => c.name)).toEqual(['Prospecting', 'Retargeting']);
    expect(column(dataset, 'Prospecting')?.[2]).toBe(1102.25);
    expect(column(dataset, 'Prospecting impressions')?.[2]).toBe(25302);
    expect(column(dataset, 'revenue')?.[2]).toBe(806);
  });

  it('reads a GA4 export: "#" lines, YYYYMMDD dates, channel groups as organic sessions', () => {
    const lines = [
      '# ----------------------------------------',
      '# Traffic acquisition: Session default channel group',
      '# Account: Demo',
      '# Start date: 20240101',
      '# End date: 20240209',
      '# ----------------------------------------',
      '',
      'Session default channel group,Date,Sessions,Key events,Total revenue',
      ...Array.from({ length: 40 }, (_, d) => {
        const day = isoDate('2024-01-01', d).replace(/-/g, '');
        return [
          `Organic Search,${day},"1,${String(200 + d).padStart(3, '0')}",${30 + (d % 5)},"$4,${String(100 + d * 9).padStart(3, '0')}.10"`,
          `Direct,${day},${700 + (d % 9) * 3},${12 + (d % 4)},${(900 + d).toFixed(2)}`,
        ];
      }).flat(),
      'Grand total,,"99,999",9999,"$999,999.00"',
    ];
    const list = new IssueList();
    const table = readExport(lines.join('\n'), 'GA4_CSV', list);
    expect(list.listed).toEqual([]);
    expect(table!.rows).toHaveLength(80);
    expect(Object.fromEntries(table!.rows[0].cells)).toEqual({
      date: '2024-01-01',
      channel: 'Organic Search',
      impressions: '1200',
      conversions: '30',
      revenue: '4100.10',
    });
    // GA4 knows no cost: its channels are organic, so a GA4 file alone has no paid channel.
    const result = prepareLongDataset(lines.join('\n'), null, longOptions({ format: 'GA4_CSV' }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => i.field)).toEqual(['roles.paidMedia']);
    }
  });

  it('names the line of the downloaded file in its problems, title lines counted', () => {
    const text = [
      'Campaign report',
      '"January 1, 2024 - January 2, 2024"',
      'Day,Campaign type,Cost,Impr.',
      '2024-01-01,Search,"1,200.00",100',
      '2024-01-02,Search,-5.00,100',
    ].join('\n');
    const result = prepareLongDataset(text, null, longOptions({ format: 'GOOGLE_ADS_CSV' }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues[0]).toEqual({
        row: 2,
        column: 'spend',
        field: 'long.columns.spend',
        message: 'row 2 (line 5), column "spend": spend is negative (-5); it must be 0 or more.',
      });
    }
  });

  it('says which columns an export lacks', () => {
    const list = new IssueList();
    expect(readExport('Day,Campaign,Spend\n2024-01-01,a,1', 'GOOGLE_ADS_CSV', list)).toBeNull();
    expect(list.listed[0].message).toBe(
      'This is not a GOOGLE_ADS_CSV export: it has no cost column (Cost).',
    );
  });
});
