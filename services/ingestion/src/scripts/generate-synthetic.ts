import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSynthetic, SYNTHETIC_DEFAULTS } from '../domain/synthetic';

const USAGE = `usage: generate-synthetic --out <file.csv> [--weeks ${SYNTHETIC_DEFAULTS.weeks}] [--channels ${SYNTHETIC_DEFAULTS.channels}] [--seed ${SYNTHETIC_DEFAULTS.seed}] [--noise ${SYNTHETIC_DEFAULTS.noise}] [--start ${SYNTHETIC_DEFAULTS.startDate}]
Writes <file.csv> (weekly data) and <file>.truth.json (the roles to ingest it with and the true
parameters: ROAS, adstock and saturation per channel, contributions per week).`;

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value))
    throw new Error(`--${name} must be an integer, got ${JSON.stringify(text)}`);
  return value;
}

function decimal(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value))
    throw new Error(`--${name} must be a number, got ${JSON.stringify(text)}`);
  return value;
}

/** Writes a synthetic CSV and its truth; returns the two paths. */
export function writeSynthetic(argv: string[]): { csv: string; truth: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      weeks: { type: 'string' },
      channels: { type: 'string' },
      seed: { type: 'string' },
      noise: { type: 'string' },
      start: { type: 'string' },
    },
    strict: true,
  });
  if (!values.out) throw new Error('--out is required');
  const { data, generated } = generateSynthetic({
    weeks: integer('weeks', values.weeks),
    channels: integer('channels', values.channels),
    seed: integer('seed', values.seed),
    noise: decimal('noise', values.noise),
    startDate: values.start,
  });
  const csv = path.resolve(values.out);
  const truth = csv.replace(/\.csv$/i, '') + '.truth.json';
  const { content, ...ingest } = generated.ingest;
  fs.mkdirSync(path.dirname(csv), { recursive: true });
  fs.writeFileSync(csv, content);
  const document = {
    // Pass these with the CSV to ingestDataset (as its input, beside `content`).
    ingest,
    truth: generated.truth,
    // The generator's whole truth, period by period, for tests of decomposition.
    generator: { options: data.options, truth: data.truth },
  };
  fs.writeFileSync(truth, JSON.stringify(document, null, 2) + '\n');
  return { csv, truth };
}

if (require.main === module) {
  try {
    const written = writeSynthetic(process.argv.slice(2));
    process.stdout.write(`${written.csv}\n${written.truth}\n`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const issues = (error as { issues?: Array<{ message: string }> }).issues;
    process.stderr.write(`${issues ? issues.map((i) => i.message).join(' ') : reason}\n${USAGE}\n`);
    process.exit(2);
  }
}
