/**
 * Readers that turn text fed in chunks of any size into records, keeping only the record in
 * progress between chunks: a file is never held whole, and chunk boundaries may fall anywhere
 * (inside a field, a quoted newline, a CRLF pair, a JSON string or escape).
 */

export interface RecordReader {
  push(chunk: string): void;
  /** Ends the input; returns a problem of the text's shape (e.g. an unterminated quote) or null. */
  finish(): string | null;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/**
 * RFC 4180 CSV: comma separated, double-quoted fields with "" escapes, LF, CRLF or CR line ends,
 * an optional byte-order mark. Blank lines are skipped. `onRecord` gets the fields and the
 * 1-based line where the record starts (quoted fields may span lines).
 */
export function createCsvRecordReader(
  onRecord: (fields: string[], line: number) => void,
): RecordReader {
  let fields: string[] = [];
  // The current field's text from earlier chunks (usually empty: fields are sliced whole).
  let field = '';
  let quoted = false;
  // A closing quote was just read: a second quote right after it is an escaped quote.
  let quoteClosed = false;
  // The previous chunk ended in CR: a LF at the start of this one belongs to it.
  let skipLf = false;
  let first = true;
  let line = 1;
  let recordLine = 1;

  const endRecord = (): void => {
    fields.push(field);
    field = '';
    if (!(fields.length === 1 && fields[0].trim() === '')) onRecord(fields, recordLine);
    fields = [];
  };

  const push = (chunk: string): void => {
    const n = chunk.length;
    let i = 0;
    if (first && n > 0) {
      first = false;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    if (skipLf && n > 0) {
      skipLf = false;
      if (chunk.charCodeAt(0) === LF) i = 1;
    }
    let start = i;
    // Where the next quote and CR are (n: none left); refreshed once passed.
    let nextQuote = -1;
    let nextCr = -1;
    while (i < n) {
      // Fast path, at the start of a record with nothing carried over: a whole line without
      // quotes is split with indexOf (native, much faster than a loop over characters).
      if (i === start && field === '' && fields.length === 0 && !quoted && !quoteClosed) {
        const nl = chunk.indexOf('\n', i);
        if (nl >= 0) {
          if (nextQuote < i) nextQuote = chunk.indexOf('"', i) >>> 0;
          if (nextCr < i) nextCr = chunk.indexOf('\r', i) >>> 0;
          const end = nextCr === nl - 1 ? nl - 1 : nl;
          if (nextQuote > nl && (nextCr > nl || nextCr === end)) {
            const record: string[] = [];
            for (let p = i; ; ) {
              const comma = chunk.indexOf(',', p);
              if (comma < 0 || comma >= end) {
                record.push(chunk.slice(p, end));
                break;
              }
              record.push(chunk.slice(p, comma));
              p = comma + 1;
            }
            if (!(record.length === 1 && record[0].trim() === '')) onRecord(record, line);
            line++;
            recordLine = line;
            start = i = nl + 1;
            continue;
          }
        }
      }
      if (quoted) {
        const q = chunk.indexOf('"', i);
        const end = q < 0 ? n : q;
        for (let k = i; k < end; k++) if (chunk.charCodeAt(k) === LF) line++;
        field += chunk.slice(start, end);
        if (q < 0) {
          start = i = n;
          break;
        }
        quoted = false;
        quoteClosed = true;
        start = i = q + 1;
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (quoteClosed) {
        quoteClosed = false;
        if (c === QUOTE) {
          field += '"';
          quoted = true;
          start = i = i + 1;
          continue;
        }
      }
      if (c === COMMA) {
        fields.push(field + chunk.slice(start, i));
        field = '';
        start = i = i + 1;
      } else if (c === LF || c === CR) {
        field += chunk.slice(start, i);
        endRecord();
        if (c === CR) {
          if (i + 1 === n) skipLf = true;
          else if (chunk.charCodeAt(i + 1) === LF) i++;
        }
        line++;
        recordLine = line;
        start = i = i + 1;
      } else if (c === QUOTE && i === start && field === '') {
        quoted = true;
        start = i = i + 1;
      } else {
        i++;
      }
    }
    if (start < n) field += chunk.slice(start, n);
  };

  const finish = (): string | null => {
    if (quoted) return `line ${recordLine}: a quoted field is not closed`;
    quoteClosed = false;
    if (field.length > 0 || fields.length > 0) endRecord();
    return null;
  };

  return { push, finish };
}

const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const BACKSLASH = 92;

function isJsonSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/**
 * A JSON array of rows, `[{...}, {...}]`, read element by element: the scanner finds where each
 * top-level element ends (tracking strings, escapes and nesting) and hands its text to
 * JSON.parse, so only one row is ever buffered. `onRow` gets the parsed element (any JSON
 * value; the caller checks that it is an object) and its 1-based index, or the parse error.
 */
export function createJsonRowReader(
  onRow: (row: unknown, index: number) => void,
  onBadRow: (index: number, reason: string) => void,
): RecordReader {
  type State = 'before-array' | 'before-element' | 'in-element' | 'after-element' | 'done';
  let state: State = 'before-array';
  let problem: string | null = null;
  let buffer = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let index = 0;
  let first = true;
  // In 'before-element': whether a comma led here (then ']' would close on a missing value).
  let afterComma = false;

  const fail = (message: string): void => {
    problem ??= message;
    state = 'done';
  };

  const endElement = (): void => {
    index++;
    let row: unknown;
    try {
      row = JSON.parse(buffer) as unknown;
    } catch (error) {
      onBadRow(index, error instanceof Error ? error.message : String(error));
      buffer = '';
      return;
    }
    buffer = '';
    onRow(row, index);
  };

  const push = (chunk: string): void => {
    const n = chunk.length;
    let i = 0;
    if (first && n > 0) {
      first = false;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    // Where the element in progress starts in this chunk (0 when it began in an earlier one).
    let start = 0;
    for (; i < n && problem === null; i++) {
      const c = chunk.charCodeAt(i);
      switch (state) {
        case 'before-array':
          if (isJsonSpace(c)) break;
          if (c !== OPEN_BRACKET) fail('the JSON must be an array of row objects, [{...}, ...]');
          else state = 'before-element';
          break;
        case 'before-element':
          if (isJsonSpace(c)) break;
          if (c === CLOSE_BRACKET && !afterComma) {
            state = 'done';
            break;
          }
          if (c === CLOSE_BRACKET || c === COMMA) {
            fail(`after row ${index}: a value is missing`);
            break;
          }
          state = 'in-element';
          start = i;
          depth = 0;
          inString = false;
          escaped = false;
          i--; // scan this character as part of the element
          break;
        case 'in-element':
          if (inString) {
            if (escaped) escaped = false;
            else if (c === BACKSLASH) escaped = true;
            else if (c === QUOTE) inString = false;
            break;
          }
          if (c === QUOTE) inString = true;
          else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
          else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
            if (depth === 0) {
              // A scalar element ends at the array's closing bracket.
              buffer += chunk.slice(start, i);
              endElement();
              state = 'done';
              break;
            }
            depth--;
            if (depth === 0) {
              buffer += chunk.slice(start, i + 1);
              endElement();
              state = 'after-element';
            }
          } else if (depth === 0 && c === COMMA) {
            buffer += chunk.slice(start, i);
            endElement();
            state = 'before-element';
            afterComma = true;
          }
          break;
        case 'after-element':
          if (isJsonSpace(c)) break;
          if (c === COMMA) {
            state = 'before-element';
            afterComma = true;
          } else if (c === CLOSE_BRACKET) state = 'done';
          else fail(`after row ${index}: expected ',' or ']'`);
          break;
        case 'done':
          if (!isJsonSpace(c)) fail('text after the closing bracket of the array');
          break;
      }
    }
    if (state === 'in-element' && problem === null) buffer += chunk.slice(start, n);
  };

  const finish = (): string | null => {
    if (problem !== null) return problem;
    if (state === 'before-array') return 'the content is empty';
    if (state !== 'done') return 'the JSON array is not closed';
    return null;
  };

  return { push, finish };
}
