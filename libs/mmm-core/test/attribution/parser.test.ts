import fc from 'fast-check';
import {
  createJourneyParser,
  parseJourneys,
  type JourneyParseResult,
  type JourneyParserOptions,
  type JourneyTable,
} from '../../src';

const HEADER = 'journey_id,timestamp,channel,converted,conversion_value';

function table(result: JourneyParseResult): JourneyTable {
  if (!result.ok) throw new Error(result.issues.map((i) => i.message).join('\n'));
  return result.table;
}

function issues(text: string, options: JourneyParserOptions = {}) {
  const result = parseJourneys(text, options);
  if (result.ok) throw new Error('expected issues');
  return result;
}

/** The table as plain arrays, to compare two parses. */
function plain(t: JourneyTable) {
  return {
    channels: t.channels,
    journeyIds: t.journeyIds,
    offsets: Array.from(t.offsets),
    timestamps: Array.from(t.timestamps),
    channelIndex: Array.from(t.channelIndex),
    cost: t.cost === null ? null : Array.from(t.cost),
    converted: Array.from(t.converted),
    conversionValue: Array.from(t.conversionValue),
  };
}

const ms = (iso: string) => Date.parse(iso);

describe('journey parser: the canonical CSV', () => {
  it('groups rows in any order by journey, sorts each by time, sorts the channels', () => {
    const csv = [
      HEADER,
      'u2,2024-01-03T10:00:00Z,search,0,0',
      'u1,2024-01-02T09:00:00Z,tv,1,120.5',
      'u2,2024-01-01T08:00:00Z,display,0,0',
      'u1,2024-01-01T09:00:00Z,search,1,120.5',
      'u1,2024-01-02T09:00:00Z,email,1,120.5',
    ].join('\n');
    const t = table(parseJourneys(csv));
    expect(plain(t)).toEqual({
      channels: ['display', 'email', 'search', 'tv'],
      journeyIds: ['u2', 'u1'],
      offsets: [0, 2, 5],
      // u2: display (Jan 1), search (Jan 3); u1: search (Jan 1), then tv and email at the same
      // instant, in their input order.
      timestamps: [
        ms('2024-01-01T08:00:00Z'),
        ms('2024-01-03T10:00:00Z'),
        ms('2024-01-01T09:00:00Z'),
        ms('2024-01-02T09:00:00Z'),
        ms('2024-01-02T09:00:00Z'),
      ],
      channelIndex: [0, 2, 2, 3, 1],
      cost: null,
      converted: [0, 1],
      conversionValue: [0, 120.5],
    });
  });

  it('reads quoted fields, CRLF line ends, a byte-order mark, blank lines and extra columns', () => {
    const csv =
      '\ufeffjourney_id,note,timestamp,channel,converted,conversion_value\r\n' +
      '"u,1","say ""hi""\r\nthere",2024-01-01,"paid ""search""",1,10\r\n' +
      '\r\n' +
      'u2,,2024-01-02 12:00,social,0,\r\n';
    const t = table(parseJourneys(csv));
    expect(t.journeyIds).toEqual(['u,1', 'u2']);
    expect(t.channels).toEqual(['paid "search"', 'social']);
    expect(Array.from(t.conversionValue)).toEqual([10, 0]);
    expect(Array.from(t.timestamps)).toEqual([
      ms('2024-01-01T00:00:00Z'),
      ms('2024-01-02T12:00:00Z'),
    ]);
  });

  it('maps other column names, and reads the cost column', () => {
    const csv = [
      'user,ts,source,conv,revenue,spend',
      'a,2024-05-01T00:00:00+02:00,tv,1,50,1.25',
      'a,2024-05-01T01:00:00+02:00,radio,1,50,0',
    ].join('\n');
    const t = table(
      parseJourneys(csv, {
        columns: {
          journeyId: 'user',
          timestamp: 'ts',
          channel: 'source',
          converted: 'conv',
          conversionValue: 'revenue',
          cost: 'spend',
        },
      }),
    );
    expect(t.channels).toEqual(['radio', 'tv']);
    expect(Array.from(t.cost as Float64Array)).toEqual([1.25, 0]);
    expect(t.timestamps[0]).toBe(ms('2024-04-30T22:00:00Z'));
  });

  it('reads a cost column when present, without a mapping', () => {
    const t = table(parseJourneys(`${HEADER},cost\nj,2024-01-01,tv,0,0,3\n`));
    expect(Array.from(t.cost as Float64Array)).toEqual([3]);
  });
});

describe('journey parser: JSON rows', () => {
  it('reads an array of row objects into the same table as the CSV', () => {
    const rows = [
      {
        journey_id: 'u2',
        timestamp: '2024-01-03T10:00:00Z',
        channel: 'search',
        converted: 0,
        conversion_value: 0,
      },
      {
        journey_id: 'u1',
        timestamp: '2024-01-02T09:00:00Z',
        channel: 'tv',
        converted: true,
        conversion_value: 7,
      },
      {
        journey_id: 'u2',
        timestamp: '2024-01-01T08:00:00Z',
        channel: 'display',
        converted: false,
        conversion_value: null,
      },
    ];
    const csv = [
      HEADER,
      'u2,2024-01-03T10:00:00Z,search,0,0',
      'u1,2024-01-02T09:00:00Z,tv,1,7',
      'u2,2024-01-01T08:00:00Z,display,0,',
    ].join('\n');
    const fromJson = table(parseJourneys(JSON.stringify(rows, null, 1), { format: 'json' }));
    expect(plain(fromJson)).toEqual(plain(table(parseJourneys(csv))));
  });

  it('reports JSON that is not an array of objects, with the row', () => {
    expect(issues('{"a": 1}', { format: 'json' }).issues).toEqual([
      expect.objectContaining({
        code: 'malformed',
        row: null,
        message: 'the JSON must be an array of row objects, [{...}, ...]',
      }),
    ]);
    const row =
      '{"journey_id":"a","timestamp":"2024-01-01","channel":"tv","converted":0,"conversion_value":0}';
    const bad = issues(`[${row}, 5, {"journey_id": }, ${row}`, { format: 'json' });
    expect(bad.issues.map((i) => [i.code, i.row])).toEqual([
      ['malformed', 2],
      ['malformed', 3],
      ['malformed', null],
    ]);
    expect(bad.issues[0].message).toBe('row 2: is not an object of column values');
    expect(bad.issues[2].message).toBe('the JSON array is not closed');
  });
});

describe('journey parser: issues carry the row and the column', () => {
  it('names unparseable timestamps, bad flags, negative and non-numeric values', () => {
    const csv = [
      HEADER,
      'a,2024-02-30T00:00:00Z,tv,1,10',
      'b,2024-01-01,tv,2,10',
      'c,2024-01-01,tv,1,-5',
      'd,2024-01-01,tv,1,ten',
      'e,2024-01-01,tv,1,Infinity',
    ].join('\n');
    const r = issues(csv);
    expect(r.issueCount).toBe(5);
    expect(r.issues).toEqual([
      {
        code: 'bad_timestamp',
        row: 1,
        line: 2,
        column: 'timestamp',
        message:
          "row 1 (line 2), column 'timestamp': '2024-02-30T00:00:00Z' is not an ISO 8601 timestamp",
      },
      {
        code: 'bad_converted',
        row: 2,
        line: 3,
        column: 'converted',
        message: "row 2 (line 3), column 'converted': '2' is not 0 or 1",
      },
      {
        code: 'negative_value',
        row: 3,
        line: 4,
        column: 'conversion_value',
        message: "row 3 (line 4), column 'conversion_value': -5 is negative",
      },
      {
        code: 'bad_number',
        row: 4,
        line: 5,
        column: 'conversion_value',
        message: "row 4 (line 5), column 'conversion_value': 'ten' is not a number",
      },
      {
        code: 'bad_number',
        row: 5,
        line: 6,
        column: 'conversion_value',
        message: "row 5 (line 6), column 'conversion_value': 'Infinity' is not a number",
      },
    ]);
  });

  it('names a journey whose rows disagree on its outcome', () => {
    const csv = [
      HEADER,
      'a,2024-01-01,tv,1,10',
      'b,2024-01-01,tv,0,0',
      'a,2024-01-02,search,0,10',
      'a,2024-01-03,search,1,12',
    ].join('\n');
    expect(issues(csv).issues.map((i) => i.message)).toEqual([
      "row 3 (line 4), column 'converted': journey 'a' has converted 0 here but 1 on row 1",
      "row 4 (line 5), column 'conversion_value': journey 'a' has conversion_value 12 here but 10 on row 1",
    ]);
  });

  it('names a conversion with no touchpoint, an empty id, a value without a conversion', () => {
    const csv = [HEADER, 'a,2024-01-01,,1,10', ',2024-01-01,tv,0,0', 'c,2024-01-01,tv,0,3'].join(
      '\n',
    );
    expect(issues(csv).issues.map((i) => [i.code, i.row, i.column])).toEqual([
      ['conversion_without_touchpoint', 1, 'channel'],
      ['missing_value', 2, 'journey_id'],
      ['value_without_conversion', 3, 'conversion_value'],
    ]);
  });

  it('names missing columns by their mapped name, and repeated header names', () => {
    const r = issues('user,timestamp,channel,channel\nu,2024-01-01,tv,tv\n', {
      columns: { journeyId: 'user', cost: 'spend' },
    });
    expect(r.issues.map((i) => [i.code, i.column])).toEqual([
      ['header', 'channel'],
      ['missing_column', 'converted'],
      ['missing_column', 'conversion_value'],
      ['missing_column', 'spend'],
    ]);
    expect(r.issues[1].message).toBe(
      "column 'converted': missing (the header has user, timestamp, channel, channel)",
    );
  });

  it('names rows of the wrong length, an unclosed quote, an empty file, a header alone', () => {
    const ragged = issues(`${HEADER}\na,2024-01-01,tv,1\n`);
    expect(ragged.issues[0]).toMatchObject({ code: 'malformed', row: 1, line: 2 });
    expect(ragged.issues[0].message).toBe('row 1 (line 2): 4 values but the header has 5 columns');
    expect(issues(`${HEADER}\na,2024-01-01,"tv,1,0\n`).issues[0].message).toBe(
      'line 2: a quoted field is not closed',
    );
    expect(issues('').issues[0]).toMatchObject({ code: 'empty_input' });
    expect(issues(`${HEADER}\n`).issues[0].message).toBe('there are no data rows');
  });

  it('counts the line a row starts on after a quoted newline', () => {
    const r = issues(`${HEADER}\n"a\nb",2024-01-01,tv,0,0\nc,never,tv,0,0\n`);
    expect(r.issues[0]).toMatchObject({ row: 2, line: 4, column: 'timestamp' });
  });

  it('lists the first maxIssues and counts them all', () => {
    const rows = Array.from({ length: 250 }, (_, k) => `j${k},not-a-date,tv,0,0`);
    const r = issues([HEADER, ...rows].join('\n'));
    expect(r.issueCount).toBe(250);
    expect(r.issues).toHaveLength(100);
    expect(r.issues[99].row).toBe(100);
    expect(issues([HEADER, ...rows].join('\n'), { maxIssues: 3 }).issues).toHaveLength(3);
  });
});

describe('journey parser: streaming', () => {
  const cell = fc.oneof(
    fc.constantFrom('tv', 'search', 'e-mail', 'paid, social', 'say "hi"', 'two\nlines'),
    fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s.trim() !== '' && s === s.trim()),
  );
  const row = fc.record({
    id: fc.integer({ min: 0, max: 6 }),
    channel: cell,
    day: fc.integer({ min: 0, max: 400 }),
    second: fc.integer({ min: 0, max: 86_399 }),
    cost: fc.integer({ min: 0, max: 1000 }),
  });
  const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

  /** Rows whose outcome is consistent per journey id; as CSV (LF or CRLF) and as JSON. */
  function files(
    rows: { id: number; channel: string; day: number; second: number; cost: number }[],
    crlf: boolean,
  ) {
    const outcome = (id: number) => ({ converted: id % 2, value: id % 2 ? id * 10.5 : 0 });
    const at = (r: { day: number; second: number }) =>
      new Date(Date.UTC(2024, 0, 1) + r.day * 86_400_000 + r.second * 1000).toISOString();
    const eol = crlf ? '\r\n' : '\n';
    const csv =
      `\ufeff${HEADER},cost${eol}` +
      rows
        .map((r) => {
          const o = outcome(r.id);
          return [`u${r.id}`, at(r), quote(r.channel), o.converted, o.value, r.cost].join(',');
        })
        .join(eol);
    const json = JSON.stringify(
      rows.map((r) => ({
        journey_id: `u${r.id}`,
        timestamp: at(r),
        channel: r.channel,
        converted: outcome(r.id).converted,
        conversion_value: outcome(r.id).value,
        cost: r.cost,
      })),
    );
    return { csv, json };
  }

  function inChunks(text: string, cuts: number[], format: 'csv' | 'json') {
    const parser = createJourneyParser({ format });
    const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
    let from = 0;
    for (const p of points) {
      parser.push(text.slice(from, p));
      from = p;
    }
    parser.push(text.slice(from));
    return parser.finish();
  }

  it('gives the same table whatever the chunk boundaries (CSV and JSON)', () => {
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 40 }),
        (rows, crlf, cuts) => {
          const { csv, json } = files(rows, crlf);
          const whole = plain(table(parseJourneys(csv)));
          expect(plain(table(inChunks(csv, cuts, 'csv')))).toEqual(whole);
          expect(plain(table(parseJourneys(json, { format: 'json' })))).toEqual(whole);
          expect(plain(table(inChunks(json, cuts, 'json')))).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the same issues, with the same rows and lines, one character at a time', () => {
    const csv = `${HEADER}\n"a\n",2024-01-01,tv,1,1\r\nb,2024-99-01,tv,0,0\rc,2024-01-01,,1,5\n`;
    const parser = createJourneyParser();
    for (const ch of csv) parser.push(ch);
    expect(parser.finish()).toEqual(parseJourneys(csv));
    expect(issues(csv).issues.map((i) => [i.row, i.line])).toEqual([
      [2, 4],
      [3, 5],
    ]);
  });
});
