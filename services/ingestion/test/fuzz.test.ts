// Property-based proof that ingestion answers garbage with structured errors and stores nothing:
// thousands of generated files through the domain (prepareDataset, prepareJourneys), then a few
// hundred through the real service (ingestDataset, ingestJourneys and mistyped GraphQL variables),
// with the whole store (every KV key, every object, every event subject) compared before and
// after each refused request. Figures (runs per property) are printed and kept in
// docs/RELIABILITY.md.
import fc from 'fast-check';
import {
  fuzzRuns,
  notAudit,
  startServiceForTest,
  storeSnapshot,
  type GraphQLReply,
  type ServiceUnderTest,
} from '@mmm/platform/testkit';
import {
  ingestionService,
  parseIngestionConfig,
  prepareDataset,
  prepareJourneys,
  textSlices,
  type IngestOptions,
  type Issue,
  type PrepareJourneysResult,
  type PrepareResult,
} from '../src';
import { fileRows, HEADER, toCsvText, weeklyOptions, type FileRow } from './fixtures';

jest.setTimeout(120_000);

const { counted, summary } = fuzzRuns('ingestion', Number(process.env.FUZZ_SCALE ?? '1'));
afterAll(() => console.log(summary()));

// --- what a structured refusal looks like -------------------------------------------------

/** Every issue names a field and says something; rows are 1-based data rows. */
function wellFormed(issue: Issue): boolean {
  return (
    typeof issue.field === 'string' &&
    issue.field.length > 0 &&
    typeof issue.message === 'string' &&
    issue.message.length > 0 &&
    (issue.row === null || (Number.isInteger(issue.row) && issue.row >= 1)) &&
    (issue.column === null || typeof issue.column === 'string')
  );
}

function refusal(result: PrepareResult | PrepareJourneysResult): Issue[] {
  if (result.ok) throw new Error('expected a refusal, the input was accepted');
  expect(result.issues.length).toBeGreaterThan(0);
  expect(result.issueCount).toBeGreaterThanOrEqual(result.issues.length);
  for (const issue of result.issues) expect(wellFormed(issue)).toBe(true);
  return result.issues;
}

// --- generators -----------------------------------------------------------------------------

/** Text made of the characters that matter to CSV and JSON readers, and some that do not. */
const structuredText = fc
  .array(
    fc.constantFrom(
      ',',
      '"',
      '\n',
      '\r\n',
      '\r',
      ' ',
      '{',
      '}',
      '[',
      ']',
      ':',
      'date',
      'revenue',
      'tv',
      '2024-01-01',
      '1',
      '-3.5e2',
      'NaN',
      '\u0000',
      '\ufeff',
      '\ud83d',
      'é',
    ),
    { maxLength: 200 },
  )
  .map((parts) => parts.join(''));

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  structuredText,
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''),
);

/** Any options a caller could send, including contradictory ones. */
const anyOptions: fc.Arbitrary<IngestOptions> = fc.record({
  format: fc.constantFrom('CSV' as const, 'JSON' as const),
  frequency: fc.constantFrom('DAILY' as const, 'WEEKLY' as const),
  aggregateToWeekly: fc.boolean(),
  missingMediaAsZero: fc.boolean(),
  roles: fc.record({
    date: fc.constantFrom('date', 'Date', '', ' date '),
    kpi: fc.constantFrom('revenue', 'date', 'tv', 'nope'),
    kpiType: fc.constantFrom('REVENUE' as const, 'CONVERSIONS' as const),
    paidMedia: fc.array(
      fc.record({
        spend: fc.constantFrom('tv', 'search', 'revenue', ''),
        exposure: fc.option(fc.constantFrom('search_clicks', 'tv', 'x'), { nil: null }),
        channel: fc.option(fc.constantFrom('tv', 'search', ''), { nil: null }),
      }),
      { maxLength: 4 },
    ),
    organic: fc.option(fc.array(fc.constantFrom('newsletter', 'tv', 'zz'), { maxLength: 3 }), {
      nil: null,
    }),
    controls: fc.option(fc.array(fc.constantFrom('price', 'date', 'revenue'), { maxLength: 3 }), {
      nil: null,
    }),
  }),
});

/** Column names of the fixture file that carry numbers, and what role names them. */
const NUMERIC: Array<keyof FileRow> = [
  'revenue',
  'tv',
  'search',
  'search_clicks',
  'newsletter',
  'price',
];

/** Cell text that is not a plain decimal number (and not empty, which has its own rule). */
const notANumber = fc.oneof(
  fc.constantFrom(
    'abc',
    '1,234',
    '$5',
    '5%',
    'NaN',
    'Infinity',
    '-Infinity',
    '1.2.3',
    '0x10',
    '--1',
    '1e',
    'true',
    '12 34',
    '١٢',
  ),
  fc
    .string({ minLength: 1, maxLength: 12 })
    .filter(
      (s) => s.trim() !== '' && !/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s.trim()),
    ),
);

/** Cell text that is not a calendar date written year first. */
const notADate = fc.oneof(
  fc.constantFrom(
    '2024-02-30',
    '2023-13-01',
    '01/02/2024',
    '2024-1-1x',
    'yesterday',
    '20240101',
    '2024-01-01T10:00',
  ),
  fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((s) => s.trim() !== '' && !/^\d{4}[-/]\d{1,2}[-/]\d{1,2}/.test(s.trim())),
);

/** A CSV cell as written by a careful writer: quoted when it needs to be. */
const csvCell = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

interface Corruption {
  periods: number;
  /** 1-based data row. */
  row: number;
  column: keyof FileRow;
  text: string;
}

/** A valid weekly file of 30-60 periods with one cell replaced by something unreadable. */
const oneBadCell: fc.Arbitrary<Corruption> = fc.integer({ min: 30, max: 60 }).chain((periods) =>
  fc.oneof(
    fc.record({
      periods: fc.constant(periods),
      row: fc.integer({ min: 1, max: periods }),
      column: fc.constantFrom(...NUMERIC),
      text: notANumber,
    }),
    fc.record({
      periods: fc.constant(periods),
      row: fc.integer({ min: 1, max: periods }),
      column: fc.constant('date' as const),
      text: notADate,
    }),
  ),
);

function corruptedCsv(c: Corruption): string {
  const rows = fileRows(c.periods);
  const lines = rows.map((row, i) =>
    HEADER.map((h) => (i === c.row - 1 && h === c.column ? csvCell(c.text) : row[h])).join(','),
  );
  return [HEADER.join(','), ...lines].join('\n') + '\n';
}

/** The same corruption in a JSON file; the bad cell may also be a boolean, array or object. */
function corruptedJson(c: Corruption, asValue: unknown): string {
  const rows = fileRows(c.periods).map((row) => {
    const out: Record<string, unknown> = { date: row.date };
    for (const h of NUMERIC) out[h] = Number(row[h]);
    return out;
  });
  rows[c.row - 1][c.column] = asValue === undefined ? c.text : asValue;
  return JSON.stringify(rows);
}

const jsonOddValue = fc.oneof(
  fc.constant(undefined), // the corruption's text
  fc.boolean(),
  fc.constant([1, 2]),
  fc.constant({ value: 3 }),
);

// --- journeys -------------------------------------------------------------------------------

const JOURNEY_HEADER = 'journey_id,timestamp,channel,converted,conversion_value';

/** A valid journey file: `journeys` journeys of 1-4 touchpoints, some converted. */
function journeyRows(journeys: number): string[][] {
  const rows: string[][] = [];
  for (let j = 0; j < journeys; j += 1) {
    const converted = j % 3 === 0;
    const touches = 1 + (j % 4);
    for (let t = 0; t < touches; t += 1) {
      rows.push([
        `u${j}`,
        `2024-03-${String(1 + ((j + t) % 27)).padStart(2, '0')}T${String(t + 8).padStart(2, '0')}:00:00Z`,
        ['search', 'display', 'email'][(j + t) % 3],
        converted ? '1' : '0',
        converted ? String(10 + j) : '0',
      ]);
    }
  }
  return rows;
}

interface JourneyCorruption {
  journeys: number;
  row: number;
  /** Index in JOURNEY_HEADER of the corrupted column. */
  column: 1 | 3 | 4;
  text: string;
}

const JOURNEY_COLUMNS = JOURNEY_HEADER.split(',');

const oneBadTouchpoint: fc.Arbitrary<JourneyCorruption> = fc
  .integer({ min: 3, max: 25 })
  .chain((journeys) => {
    const rows = journeyRows(journeys).length;
    return fc.record({
      journeys: fc.constant(journeys),
      row: fc.integer({ min: 1, max: rows }),
      column: fc.constantFrom(1 as const, 3 as const, 4 as const),
      text: fc.constantFrom('garbage', '-5', 'NaN', '2024-13-45T00:00:00Z', 'x1', '1e999', '7/7'),
    });
  })
  // '-5' and '1e999' are numbers: only wrong as a value, and '-5' is not a timestamp either.
  .filter((c) => !(c.column === 3 && c.text === '1e999'));

function corruptedJourneys(c: JourneyCorruption): string {
  const rows = journeyRows(c.journeys);
  rows[c.row - 1][c.column] = c.text;
  return [JOURNEY_HEADER, ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
}

// --- the domain -------------------------------------------------------------------------------

describe('prepareDataset on generated files (domain)', () => {
  // Sanity: the base the corruptions start from is accepted, so each refusal below is the
  // corruption's doing.
  it('accepts the uncorrupted base files', () => {
    expect(prepareDataset(toCsvText(fileRows(30)), weeklyOptions()).ok).toBe(true);
    const json = corruptedJson({ periods: 30, row: 1, column: 'tv', text: '100' }, 100);
    expect(prepareDataset(json, weeklyOptions({ format: 'JSON' })).ok).toBe(true);
  });

  // Catches: any path of the reader that throws (a parser exception let through, an index out
  // of range) instead of collecting an issue; an issue without a field or with a row below 1.
  it('answers any text with any options by a list of well-formed issues, never a throw', () => {
    fc.assert(
      fc.property(anyText, anyOptions, (content, options) => {
        let result: PrepareResult;
        expect(() => (result = prepareDataset(content, options))).not.toThrow();
        // Random text never makes 26 valid weeks.
        refusal(result!);
      }),
      counted('dataset: random text x random options', 1500),
    );
  });

  // Catches: a number reader that accepts "1,234", "$5", "NaN"...; a date reader that guesses;
  // an issue that loses its row or column.
  it('names the row and column of one unreadable cell in a CSV', () => {
    fc.assert(
      fc.property(oneBadCell, (c) => {
        const issues = refusal(prepareDataset(corruptedCsv(c), weeklyOptions()));
        expect(issues).toContainEqual(expect.objectContaining({ row: c.row, column: c.column }));
      }),
      counted('dataset: CSV with one bad cell', 800),
    );
  });

  // Catches: JSON booleans, arrays or objects read as numbers or dates; the wrong row number.
  it('names the row and column of one unreadable value in a JSON file', () => {
    fc.assert(
      fc.property(oneBadCell, jsonOddValue, (c, value) => {
        const options = weeklyOptions({ format: 'JSON' });
        const issues = refusal(prepareDataset(corruptedJson(c, value), options));
        expect(issues).toContainEqual(expect.objectContaining({ row: c.row, column: c.column }));
      }),
      counted('dataset: JSON with one bad value', 600),
    );
  });

  // Catches: a missing role column silently read as empty; a ragged row not reported.
  it('names a role column missing from the header, and a ragged row', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HEADER),
        fc.integer({ min: 1, max: 30 }),
        fc.boolean(),
        (dropped, raggedRow, extra) => {
          const header = HEADER.filter((h) => h !== dropped);
          const lines = toCsvText(fileRows(30), header).trim().split('\n');
          lines[raggedRow] = extra
            ? `${lines[raggedRow]},9`
            : lines[raggedRow].replace(/,[^,]*$/, '');
          const issues = refusal(prepareDataset(lines.join('\n'), weeklyOptions()));
          expect(issues).toContainEqual(expect.objectContaining({ column: dropped }));
          expect(issues).toContainEqual(expect.objectContaining({ row: raggedRow, column: null }));
        },
      ),
      counted('dataset: missing column and ragged row', 300),
    );
  });
});

describe('prepareJourneys on generated files (domain)', () => {
  // Regression, found by the property below: a slice size of 1 on text starting with a
  // surrogate pair (an emoji, any character beyond U+FFFF) made textSlices yield empty slices
  // forever, and prepareJourneys never returned. Catches: the pair being cut back to nothing.
  it('slices text with characters beyond U+FFFF at any size, ending, and losing nothing', () => {
    expect([...textSlices('\u{103DA3}', 1)]).toEqual(['\u{103DA3}']);
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        (text, size) => {
          const slices = [...textSlices(text, size)];
          expect(slices.every((slice) => slice.length > 0)).toBe(true);
          expect(slices.join('')).toBe(text);
          // No slice ends on the first half of a pair.
          for (const slice of slices.slice(0, -1)) {
            const last = slice.charCodeAt(slice.length - 1);
            expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
          }
        },
      ),
      counted('journeys: text slices', 500),
    );
  });

  it('accepts the uncorrupted base file', () => {
    const csv = [JOURNEY_HEADER, ...journeyRows(10).map((r) => r.join(','))].join('\n');
    expect(prepareJourneys(csv, { format: 'CSV', columns: {} }).ok).toBe(true);
  });

  // Catches: the journey parser throwing on odd text or bad slices, or issues without a field.
  it('answers any text, in any slice size, by well-formed issues, never a throw', () => {
    fc.assert(
      fc.property(
        anyText,
        fc.constantFrom('CSV' as const, 'JSON' as const),
        fc.integer({ min: 1, max: 64 }),
        fc.option(fc.constantFrom('cost', 'spend'), { nil: undefined }),
        (content, format, slice, cost) => {
          let result: PrepareJourneysResult;
          const options = { format, columns: cost ? { cost } : {} };
          expect(() => (result = prepareJourneys(content, options, slice))).not.toThrow();
          if (!result!.ok) refusal(result!);
          // Random text that happens to be a valid journey file must at least be non-empty.
          else expect(content.trim()).not.toBe('');
        },
      ),
      counted('journeys: random text x format x slice size', 1200),
    );
  });

  // Catches: unparseable timestamps, negative values or a non-0/1 outcome accepted, or
  // reported without their row and column.
  it('names the row and column of one bad touchpoint', () => {
    fc.assert(
      fc.property(oneBadTouchpoint, fc.integer({ min: 7, max: 4096 }), (c, slice) => {
        const result = prepareJourneys(corruptedJourneys(c), { format: 'CSV', columns: {} }, slice);
        const issues = refusal(result);
        expect(issues).toContainEqual(
          expect.objectContaining({ row: c.row, column: JOURNEY_COLUMNS[c.column] }),
        );
      }),
      counted('journeys: CSV with one bad touchpoint', 700),
    );
  });
});

// --- the real service -------------------------------------------------------------------------

const INGEST = `mutation ($input: IngestDatasetInput!) { ingestDataset(input: $input) { id } }`;
const INGEST_JOURNEYS = `mutation ($input: IngestJourneysInput!) { ingestJourneys(input: $input) { id } }`;

const ROLES = {
  date: 'date',
  kpi: 'revenue',
  kpiType: 'REVENUE',
  paidMedia: [{ spend: 'tv' }, { spend: 'search', exposure: 'search_clicks' }],
  organic: ['newsletter'],
  controls: ['price'],
};

function badUserInput(reply: GraphQLReply): Array<Record<string, unknown>> {
  expect(reply.data ?? null).toBeNull();
  expect(reply.errors?.length).toBeGreaterThan(0);
  const error = reply.errors![0];
  expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  return (error.extensions?.issues as Array<Record<string, unknown>>) ?? [];
}

describe('the ingestion service under generated bad input', () => {
  const WS = 'ws-fuzz';
  let sut: ServiceUnderTest;
  let before: Record<string, string>;
  const snapshot = () => storeSnapshot(sut.service.storage, { ignoreSubject: notAudit });

  beforeAll(async () => {
    sut = await startServiceForTest(ingestionService, { parse: parseIngestionConfig });
    // Something stored first, so "nothing changed" is checked against a non-empty store.
    const good = await sut.query(INGEST, WS, {
      input: { content: toCsvText(fileRows(30)), roles: ROLES, frequency: 'WEEKLY' },
    });
    expect(good.errors).toBeUndefined();
    const journeys = [JOURNEY_HEADER, ...journeyRows(6).map((r) => r.join(','))].join('\n');
    const goodJourneys = await sut.query(INGEST_JOURNEYS, WS, { input: { content: journeys } });
    expect(goodJourneys.errors).toBeUndefined();
    before = await snapshot();
    expect(Object.keys(before).some((k) => k.startsWith('obj:'))).toBe(true);
  });
  afterAll(async () => {
    await sut?.stop();
  });

  // Catches: a file written to the object store (or a KV key, or an event) before validation
  // has passed, or left behind after a refusal; a validation error that surfaces as
  // INTERNAL_SERVER_ERROR; issues without their row and column.
  it('refuses each bad dataset with BAD_USER_INPUT naming row and column, storing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(oneBadCell, fc.boolean(), async (c, json) => {
        const content = json ? corruptedJson(c, undefined) : corruptedCsv(c);
        const input = { content, roles: ROLES, frequency: 'WEEKLY', format: json ? 'JSON' : 'CSV' };
        const issues = badUserInput(await sut.query(INGEST, WS, { input }));
        expect(issues).toContainEqual(expect.objectContaining({ row: c.row, column: c.column }));
        expect(await snapshot()).toEqual(before);
      }),
      counted('service: ingestDataset with one bad cell', 150),
    );
  });

  it('refuses random text and random roles with BAD_USER_INPUT, storing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, anyOptions, async (content, options) => {
        const input = {
          content,
          format: options.format,
          frequency: options.frequency,
          aggregateToWeekly: options.aggregateToWeekly,
          missingMediaAsZero: options.missingMediaAsZero,
          roles: options.roles,
        };
        badUserInput(await sut.query(INGEST, WS, { input }));
        expect(await snapshot()).toEqual(before);
      }),
      counted('service: ingestDataset with random text and roles', 100),
    );
  });

  it('refuses each bad journey file with BAD_USER_INPUT naming row and column, storing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(oneBadTouchpoint, async (c) => {
        const issues = badUserInput(
          await sut.query(INGEST_JOURNEYS, WS, { input: { content: corruptedJourneys(c) } }),
        );
        expect(issues).toContainEqual(
          expect.objectContaining({ row: c.row, column: JOURNEY_COLUMNS[c.column] }),
        );
        expect(await snapshot()).toEqual(before);
      }),
      counted('service: ingestJourneys with one bad touchpoint', 100),
    );
  });

  /** A value of the wrong GraphQL type for one field of IngestDatasetInput. */
  const mistyped = fc.oneof(
    fc.record({
      field: fc.constantFrom('content', 'name'),
      value: fc.oneof(fc.integer(), fc.boolean(), fc.constant({ a: 1 }), fc.constant([1])),
    }),
    fc.record({
      field: fc.constantFrom('format', 'frequency'),
      value: fc.oneof(fc.constantFrom('HOURLY', 'csv', 'xml', ''), fc.integer(), fc.boolean()),
    }),
    fc.record({
      field: fc.constantFrom('aggregateToWeekly', 'missingMediaAsZero', 'autoTrain'),
      value: fc.oneof(fc.constantFrom('yes', 'true', '1'), fc.integer({ min: 2 }), fc.constant({})),
    }),
    fc.record({
      field: fc.constantFrom('roles', 'roles.paidMedia', 'roles.kpiType', 'roles.date'),
      value: fc.oneof(fc.constant(null), fc.constantFrom('tv', 'SALES'), fc.constant([{ x: 1 }])),
    }),
    fc.record({
      field: fc.constantFrom('unknownField', 'roles.unknown', 'roles.paidMedia.0.budget'),
      value: fc.oneof(fc.string(), fc.integer()),
    }),
  );

  // Catches: a resolver reached with a variable of the wrong type (it would then fail inside
  // with INTERNAL_SERVER_ERROR or store something odd) — GraphQL's coercion must refuse first.
  it('refuses mistyped GraphQL variables with BAD_USER_INPUT, storing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(mistyped, async ({ field, value }) => {
        const input: Record<string, unknown> = {
          content: toCsvText(fileRows(30)),
          roles: structuredClone(ROLES),
          frequency: 'WEEKLY',
        };
        const path = field.split('.');
        let at: Record<string, unknown> = input;
        for (const part of path.slice(0, -1)) at = at[part] as Record<string, unknown>;
        at[path[path.length - 1]] = value;
        badUserInput(await sut.query(INGEST, WS, { input }));
        expect(await snapshot()).toEqual(before);
      }),
      counted('service: mistyped GraphQL variables', 150),
    );
  });
});
