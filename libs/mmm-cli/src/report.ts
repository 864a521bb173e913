/**
 * `mmm report`: the executive report of a saved model (mmm fit --out), optionally with a budget
 * allocation (mmm allocate --out) and an attribution run (mmm attribute --out), as one
 * self-contained HTML page or a PDF, the same renderer the reporting service uses
 * (@mmm/report). Every problem in the flags or files is a UsageError of one line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelFormatError, parseModel, type MediaMixModel } from '@mmm/core';
import {
  buildReportData,
  ChromiumMissingError,
  DEFAULT_CHROMIUM_PATH,
  parseReportAllocation,
  parseReportAttribution,
  renderPdf,
  renderReportHtml,
  reportTables,
  ReportInputError,
  tableCsv,
  tablesJson,
  type ReportAllocation,
  type ReportAttribution,
} from '@mmm/report';
import { UsageError } from './errors';
import type { Io } from './fit';

export const REPORT_USAGE = `usage: mmm report --model model.json [--allocation allocation.json]
  [--attribution attribution.json] [--title T] [--format html|pdf] [--tables DIR]
  [--chromium /usr/bin/chromium] --out report.html
  --allocation: mmm allocate's JSON (or a stored scenario): adds the recommended allocation.
  --attribution: mmm attribute's JSON: adds the attribution comparison (MMM beside the methods).
  --format: html (default) or pdf (default when --out ends in .pdf; needs Chromium).
  --tables: also write every table of the report as CSV, and all of them as tables.json, there.`;

export interface ReportArgs {
  model: string;
  allocation: string | undefined;
  attribution: string | undefined;
  title: string | undefined;
  format: 'html' | 'pdf';
  tables: string | undefined;
  chromium: string;
  out: string;
}

const VALUE_FLAGS = new Set([
  'model',
  'allocation',
  'attribution',
  'title',
  'format',
  'tables',
  'chromium',
  'out',
]);

function flagMap(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!VALUE_FLAGS.has(name)) throw new UsageError(`unknown flag --${name}`);
    if (flags.has(name)) throw new UsageError(`--${name} given twice`);
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    if (value === undefined || value.trim() === '') throw new UsageError(`--${name} needs a value`);
    flags.set(name, value.trim());
  }
  return flags;
}

export function parseReportArgs(argv: readonly string[]): ReportArgs {
  const flags = flagMap(argv);
  for (const required of ['model', 'out']) {
    if (!flags.has(required)) throw new UsageError(`--${required} is required`);
  }
  const out = flags.get('out')!;
  const format = flags.get('format') ?? (out.toLowerCase().endsWith('.pdf') ? 'pdf' : 'html');
  if (format !== 'html' && format !== 'pdf') {
    throw new UsageError(`--format must be html or pdf; got '${format}'`);
  }
  for (const input of ['model', 'allocation', 'attribution']) {
    if (flags.get(input) === out)
      throw new UsageError(`--out ${out} would overwrite an input file`);
  }
  return {
    model: flags.get('model')!,
    allocation: flags.get('allocation'),
    attribution: flags.get('attribution'),
    title: flags.get('title'),
    format,
    tables: flags.get('tables'),
    chromium: flags.get('chromium') ?? DEFAULT_CHROMIUM_PATH,
    out,
  };
}

function readText(file: string, flag: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code;
    throw new UsageError(`cannot read ${flag} ${file}: ${why ?? (error as Error).message}`);
  }
}

function readJson(file: string, flag: string): unknown {
  const text = readText(file, flag);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${flag} ${file}: not JSON (${(error as Error).message})`);
  }
}

function readModel(file: string): MediaMixModel {
  try {
    return parseModel(readText(file, '--model'));
  } catch (error) {
    if (error instanceof ModelFormatError)
      throw new UsageError(`--model ${file}: ${error.message}`);
    throw error;
  }
}

function readInput<T>(file: string, flag: string, parse: (json: unknown) => T): T {
  try {
    return parse(readJson(file, flag));
  } catch (error) {
    if (error instanceof ReportInputError)
      throw new UsageError(`${flag} ${file}: ${error.message}`);
    throw error;
  }
}

function write(file: string, content: string | Uint8Array, flag: string): void {
  try {
    fs.writeFileSync(file, content);
  } catch (error) {
    throw new UsageError(`cannot write ${flag} ${file}: ${(error as Error).message}`);
  }
}

export async function reportCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseReportArgs(argv);
  const model = readModel(args.model);
  const allocation: ReportAllocation | null = args.allocation
    ? readInput(args.allocation, '--allocation', parseReportAllocation)
    : null;
  const attribution: ReportAttribution | null = args.attribution
    ? readInput(args.attribution, '--attribution', parseReportAttribution)
    : null;
  if (allocation) {
    const known = new Set(model.channels.map((c) => c.name));
    const unknown = allocation.channels.find((c) => !known.has(c.channel));
    if (unknown) {
      throw new UsageError(
        `--allocation ${args.allocation}: channel '${unknown.channel}' is not a channel of the model (${[...known].join(', ')})`,
      );
    }
  }
  const data = buildReportData(model, {
    title: args.title,
    modelLabel: `Model ${path.basename(args.model)}`,
    scenarioLabel: args.allocation ? `Allocation ${path.basename(args.allocation)}` : undefined,
    allocation,
    attribution,
  });
  const html = renderReportHtml(data);
  if (args.format === 'pdf') {
    let pdf: Uint8Array;
    try {
      pdf = await renderPdf(html, { executablePath: args.chromium, footer: data.title });
    } catch (error) {
      if (error instanceof ChromiumMissingError) {
        throw new UsageError(`${error.message}, or give its path with --chromium`);
      }
      throw error;
    }
    write(args.out, pdf, '--out');
  } else {
    write(args.out, html, '--out');
  }
  const lines = [`report written to ${args.out} (${args.format.toUpperCase()})`];
  if (args.tables) {
    const tables = reportTables(data);
    try {
      fs.mkdirSync(args.tables, { recursive: true });
    } catch (error) {
      throw new UsageError(`cannot create --tables ${args.tables}: ${(error as Error).message}`);
    }
    for (const t of tables) write(path.join(args.tables, `${t.name}.csv`), tableCsv(t), '--tables');
    write(path.join(args.tables, 'tables.json'), tablesJson(tables), '--tables');
    lines.push(
      `tables written to ${args.tables}: ${tables.map((t) => `${t.name}.csv`).join(', ')}, tables.json`,
    );
  }
  io.stdout(lines.join('\n'));
  return 0;
}
