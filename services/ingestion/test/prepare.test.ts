import { MAX_LISTED_ISSUES, prepareDataset, type Issue, type PrepareResult } from '../src/domain';
import { fileRows, toCsvText, weeklyOptions, type FileRow } from './fixtures';

function issuesOf(result: PrepareResult): Issue[] {
  if (result.ok) throw new Error('expected validation to fail');
  return result.issues;
}

function withRow(rows: FileRow[], index: number, change: Partial<FileRow>): FileRow[] {
  return rows.map((row, i) => (i === index ? { ...row, ...change } : row));
}

describe('prepareDataset on a good file', () => {
  it('returns a table sorted by date with typed columns in role order', () => {
    const rows = fileRows(30);
    const shuffled = [rows[3], ...rows.slice(0, 3), ...rows.slice(4)];
    const result = prepareDataset(toCsvText(shuffled), weeklyOptions());
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const { dataset } = result;
    expect(dataset.table.dates.slice(0, 5)).toEqual([
      '2024-01-01',
      '2024-01-08',
      '2024-01-15',
      '2024-01-22',
      '2024-01-29',
    ]);
    expect(dataset.table.columns.map((c) => [c.name, c.role, c.channel])).toEqual([
      ['revenue', 'KPI', null],
      ['tv', 'PAID_SPEND', 'tv'],
      ['search', 'PAID_SPEND', 'search'],
      ['search_clicks', 'PAID_EXPOSURE', 'search'],
      ['newsletter', 'ORGANIC', 'newsletter'],
      ['price', 'CONTROL', null],
    ]);
    expect(dataset.table.columns[0].values[3]).toBe(1000 + 37 * 3 + 3 * 11);
    expect(dataset.periodCount).toBe(30);
    expect(dataset.startDate).toBe('2024-01-01');
    expect(dataset.endDate).toBe('2024-07-22');
    expect(dataset.frequency).toBe('WEEKLY');
    expect(dataset.channels).toEqual([
      { name: 'tv', spendColumn: 'tv', exposureColumn: null },
      { name: 'search', spendColumn: 'search', exposureColumn: 'search_clicks' },
    ]);
    expect(dataset.columns[0]).toEqual({
      name: 'date',
      role: 'DATE',
      channel: null,
      summary: null,
    });
    expect(dataset.columns[1].summary?.count).toBe(30);
  });

  it('names columns of the file that no role uses', () => {
    const rows = fileRows(30).map((r) => ({ ...r, note: 'x' }));
    const header = [
      'date',
      'revenue',
      'tv',
      'search',
      'search_clicks',
      'newsletter',
      'price',
      'note',
    ];
    const result = prepareDataset(toCsvText(rows, header), weeklyOptions());
    expect(result.ok && result.dataset.ignoredColumns).toEqual(['note']);
  });

  it('reads CRLF line endings, a byte order mark and quoted values', () => {
    const text =
      '\ufeff' +
      toCsvText(fileRows(30))
        .replace(/\n/g, '\r\n')
        .replace(/,10\.00/g, ',"10.00"');
    const result = prepareDataset(text, weeklyOptions());
    expect(result.ok).toBe(true);
  });

  it('reads JSON rows with numbers and numeric strings', () => {
    const rows = fileRows(30).map((r, i) => ({
      ...r,
      revenue: i % 2 ? Number(r.revenue) : r.revenue,
    }));
    const result = prepareDataset(JSON.stringify(rows), weeklyOptions({ format: 'JSON' }));
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.dataset.table.columns[0].values[1]).toBe(1000 + 37 + 11);
  });

  it('uses the channel name given instead of the spend column name', () => {
    const options = weeklyOptions();
    options.roles.paidMedia = [{ spend: 'tv', channel: 'Television' }, { spend: 'search' }];
    const result = prepareDataset(toCsvText(fileRows(30)), options);
    expect(result.ok && result.dataset.channels.map((c) => c.name)).toEqual([
      'Television',
      'search',
    ]);
  });

  it('reads empty media cells as zero with missingMediaAsZero and counts them', () => {
    const rows = withRow(fileRows(30), 4, { tv: '' });
    const result = prepareDataset(toCsvText(rows), weeklyOptions({ missingMediaAsZero: true }));
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const tv = result.dataset.columns.find((c) => c.name === 'tv');
    expect(tv?.summary?.missingCount).toBe(1);
    expect(result.dataset.table.columns[1].values[4]).toBe(0);
  });
});

describe('prepareDataset validation', () => {
  it('names an unparseable date with its row, line and column', () => {
    const rows = withRow(fileRows(30), 2, { date: '03/04/2024' });
    const issues = issuesOf(prepareDataset(toCsvText(rows), weeklyOptions()));
    expect(issues).toContainEqual({
      row: 3,
      column: 'date',
      field: 'roles.date',
      message:
        'row 3 (line 4), column "date": "03/04/2024" is not a date; write dates as YYYY-MM-DD.',
    });
  });

  it('refuses calendar dates that do not exist', () => {
    const rows = withRow(fileRows(30), 0, { date: '2023-02-30' });
    const issues = issuesOf(prepareDataset(toCsvText(rows), weeklyOptions()));
    expect(issues[0].message).toContain(
      'row 1 (line 2), column "date": "2023-02-30" is not a date',
    );
  });

  it('names a duplicate date and the row it repeats', () => {
    const rows = fileRows(30);
    rows.splice(5, 0, { ...rows[4], revenue: '1' });
    const issues = issuesOf(prepareDataset(toCsvText(rows), weeklyOptions()));
    expect(issues).toEqual([
      {
        row: 6,
        column: 'date',
        field: 'roles.date',
        message:
          'row 6 (line 7), column "date": date 2024-01-29 is repeated (first on row 5 (line 6)).',
      },
    ]);
  });

  it('names a gap in a weekly series with the rows around it', () => {
    const rows = fileRows(31);
    rows.splice(10, 2);
    const issues = issuesOf(prepareDataset(toCsvText(rows), weeklyOptions()));
    expect(issues).toEqual([
      {
        row: 11,
        column: 'date',
        field: 'roles.date',
        message:
          'Gap in the weekly series between 2024-03-04 (row 10 (line 11)) and ' +
          '2024-03-25 (row 11 (line 12)): 2 week(s) missing.',
      },
    ]);
  });

  it('names weekly dates that are not 7 days apart', () => {
    const rows = withRow(fileRows(30), 5, { date: '2024-02-07' });
    const messages = issuesOf(prepareDataset(toCsvText(rows), weeklyOptions())).map(
      (i) => i.message,
    );
    expect(messages).toContain(
      'Dates 2024-01-29 (row 5 (line 6)) and 2024-02-07 (row 6 (line 7)) are 9 days apart; ' +
        'weekly rows must be 7 day(s) apart.',
    );
  });

  it('names a gap in a daily series', () => {
    const rows = fileRows(40, 1);
    rows.splice(20, 1);
    const issues = issuesOf(prepareDataset(toCsvText(rows), weeklyOptions({ frequency: 'DAILY' })));
    expect(issues.map((i) => i.message)).toEqual([
      'Gap in the daily series between 2024-01-20 (row 20 (line 21)) and 2024-01-22 (row 21 (line 22)): 1 day(s) missing.',
    ]);
  });

  it('names non-numeric spend with a hint for thousands separators', () => {
    const rows = withRow(withRow(fileRows(30), 7, { tv: 'abc' }), 8, { search: '"1,200"' });
    const issues = issuesOf(prepareDataset(toCsvText(rows), weeklyOptions()));
    expect(issues).toEqual([
      {
        row: 8,
        column: 'tv',
        field: 'roles.paidMedia[0].spend',
        message: 'row 8 (line 9), column "tv": spend "abc" is not a number.',
      },
      {
        row: 9,
        column: 'search',
        field: 'roles.paidMedia[1].spend',
        message:
          'row 9 (line 10), column "search": spend "1,200" is not a number (remove the thousands separators).',
      },
    ]);
  });

  it('names negative spend, exposure and organic values but accepts negative controls', () => {
    let rows = withRow(fileRows(30), 1, { tv: '-5' });
    rows = withRow(rows, 2, { search_clicks: '-1' });
    rows = withRow(rows, 3, { newsletter: '-2' });
    rows = withRow(rows, 4, { price: '-3' });
    const issues = issuesOf(prepareDataset(toCsvText(rows), weeklyOptions()));
    expect(issues.map((i) => [i.row, i.column, i.message])).toEqual([
      [2, 'tv', 'row 2 (line 3), column "tv": spend is negative (-5); it must be 0 or more.'],
      [
        3,
        'search_clicks',
        'row 3 (line 4), column "search_clicks": exposure is negative (-1); it must be 0 or more.',
      ],
      [
        4,
        'newsletter',
        'row 4 (line 5), column "newsletter": the organic value is negative (-2); it must be 0 or more.',
      ],
    ]);
  });

  it('names a missing KPI and missing spend', () => {
    const rows = withRow(withRow(fileRows(30), 9, { revenue: '' }), 10, { tv: ' ' });
    const issues = issuesOf(prepareDataset(toCsvText(rows), weeklyOptions()));
    expect(issues).toEqual([
      {
        row: 10,
        column: 'revenue',
        field: 'roles.kpi',
        message: 'row 10 (line 11), column "revenue": the KPI is missing.',
      },
      {
        row: 11,
        column: 'tv',
        field: 'roles.paidMedia[0].spend',
        message:
          'row 11 (line 12), column "tv": spend is missing (write 0 if there was none, or set missingMediaAsZero).',
      },
    ]);
  });

  it('names a non-numeric KPI in JSON rows by its position in the array', () => {
    const rows = fileRows(30).map((r, i) => (i === 4 ? { ...r, revenue: true } : r));
    const issues = issuesOf(
      prepareDataset(JSON.stringify(rows), weeklyOptions({ format: 'JSON' })),
    );
    expect(issues).toEqual([
      {
        row: 5,
        column: 'revenue',
        field: 'roles.kpi',
        message: 'row 5, column "revenue": the KPI "true" is not a number.',
      },
    ]);
  });

  it('refuses too few periods for the number of variables and states the rule', () => {
    const issues = issuesOf(prepareDataset(toCsvText(fileRows(25)), weeklyOptions()));
    expect(issues).toEqual([
      {
        row: null,
        column: null,
        field: 'content',
        message:
          'Too few periods: 25 weekly periods for 4 explanatory variables (2 paid, 1 organic, 1 control); ' +
          'at least 26 are needed (the rule: at least 26 periods and 5 per variable).',
      },
    ]);
  });

  it('asks for 5 periods per variable when that is more than 26', () => {
    const rows = fileRows(29).map((r, i) => ({ ...r, c1: String(i % 3), c2: String(i % 5) }));
    const header = [
      'date',
      'revenue',
      'tv',
      'search',
      'search_clicks',
      'newsletter',
      'price',
      'c1',
      'c2',
    ];
    const options = weeklyOptions();
    options.roles.controls = ['price', 'c1', 'c2'];
    const issues = issuesOf(prepareDataset(toCsvText(rows, header), options));
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringContaining(
        '29 weekly periods for 6 explanatory variables (2 paid, 1 organic, 3 control); at least 30',
      ),
    ]);
  });

  it('names constant columns', () => {
    const rows = fileRows(30).map((r) => ({ ...r, search: '0', price: '9.99' }));
    const issues = issuesOf(prepareDataset(toCsvText(rows), weeklyOptions()));
    expect(issues).toEqual([
      {
        row: null,
        column: 'search',
        field: 'roles.paidMedia[1].spend',
        message:
          'Column "search" is constant (every row is 0); a column that never changes tells the model nothing.',
      },
      {
        row: null,
        column: 'price',
        field: 'roles.controls[0]',
        message:
          'Column "price" is constant (every row is 9.99); a column that never changes tells the model nothing.',
      },
    ]);
  });

  it('names role columns that are not in the file, with a hint for a different case', () => {
    const options = weeklyOptions();
    options.roles.kpi = 'Revenue';
    options.roles.controls = ['price', 'temperature'];
    const issues = issuesOf(prepareDataset(toCsvText(fileRows(30)), options));
    expect(issues).toEqual([
      {
        row: null,
        column: 'Revenue',
        field: 'roles.kpi',
        message: 'Column "Revenue" named in roles.kpi is not in the file. Did you mean "revenue"?',
      },
      {
        row: null,
        column: 'temperature',
        field: 'roles.controls[1]',
        message: 'Column "temperature" named in roles.controls[1] is not in the file.',
      },
    ]);
  });

  it('names a column given two roles and a paid media list that is empty', () => {
    const options = weeklyOptions();
    options.roles.controls = ['price', 'revenue'];
    options.roles.paidMedia = [];
    options.roles.organic = [];
    const messages = issuesOf(prepareDataset(toCsvText(fileRows(30)), options)).map(
      (i) => i.message,
    );
    expect(messages).toEqual([
      'At least one paid media channel is needed in roles.paidMedia.',
      'Column "revenue" is given two roles: roles.kpi and roles.controls[1].',
    ]);
  });

  it('names rows whose number of values differs from the header', () => {
    const text = toCsvText(fileRows(30)).replace('2024-01-15,', '2024-01-15,7,');
    const issues = issuesOf(prepareDataset(text, weeklyOptions()));
    expect(issues[0]).toEqual({
      row: 3,
      column: null,
      field: 'content',
      message: 'row 3 (line 4) has 8 values but the header has 7 columns.',
    });
  });

  it('counts a quoted value spanning lines when it names the line of a row', () => {
    const text = toCsvText(fileRows(30))
      .replace('2024-01-08,', '2024-01-08,"oops\nstill oops",')
      .replace('2024-01-15,', '2024-01-15x,');
    const messages = issuesOf(prepareDataset(text, weeklyOptions())).map((i) => i.message);
    expect(messages).toContain(
      'row 2 (line 3), column "revenue": the KPI "oops\nstill oops" is not a number.',
    );
    expect(messages).toContain(
      'row 3 (line 5), column "date": "2024-01-15x" is not a date; write dates as YYYY-MM-DD.',
    );
  });

  it('reports an unreadable CSV, empty content and a header without rows', () => {
    expect(issuesOf(prepareDataset('a,b\n"x,1\n', weeklyOptions()))[0].message).toMatch(
      /^The CSV cannot be read at line 2: Quote Not Closed/,
    );
    expect(issuesOf(prepareDataset('  \n', weeklyOptions()))[0].message).toBe('The file is empty.');
    const messages = issuesOf(
      prepareDataset('date,revenue,tv,search,search_clicks,newsletter,price\n', weeklyOptions()),
    ).map((i) => i.message);
    expect(messages).toEqual(['The file has no data rows.']);
  });

  it('reports JSON that is not an array of objects', () => {
    const json = weeklyOptions({ format: 'JSON' });
    expect(issuesOf(prepareDataset('{"a":1}', json))[0].message).toMatch(
      /must be an array of row objects/,
    );
    expect(issuesOf(prepareDataset('[1,', json))[0].message).toMatch(/^The JSON cannot be read/);
  });

  it('refuses aggregateToWeekly on weekly data', () => {
    const issues = issuesOf(
      prepareDataset(toCsvText(fileRows(30)), weeklyOptions({ aggregateToWeekly: true })),
    );
    expect(issues[0].field).toBe('aggregateToWeekly');
  });

  it('collects every problem and lists at most 100 of them', () => {
    const rows = fileRows(150).map((r) => ({ ...r, tv: 'n/a' }));
    const result = prepareDataset(toCsvText(rows), weeklyOptions());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issueCount).toBe(150);
    expect(result.issues).toHaveLength(MAX_LISTED_ISSUES);
    expect(result.issues[99].row).toBe(100);
  });
});

describe('prepareDataset follow-on problems', () => {
  it('does not report a gap left by a row whose date is unreadable', () => {
    const rows = fileRows(30).map((r, i) => (i === 3 ? { ...r, date: 'soon' } : r));
    const result = prepareDataset(toCsvText(rows), weeklyOptions());
    expect(!result.ok && result.issues.map((i) => i.message)).toEqual([
      'row 4 (line 5), column "date": "soon" is not a date; write dates as YYYY-MM-DD.',
    ]);
  });

  it('still reports a gap elsewhere in the same file', () => {
    const rows = fileRows(32).map((r, i) => (i === 3 ? { ...r, date: 'soon' } : r));
    rows.splice(20, 1);
    const result = prepareDataset(toCsvText(rows), weeklyOptions());
    expect(!result.ok && result.issues.map((i) => i.row)).toEqual([4, 21]);
  });
});
