/**
 * Attribution benchmark: time and peak memory of the journey parser and of each attribution
 * method on 1,000,000 touchpoints / 100,000 journeys / 12 channels (issue 8's figures).
 *
 * A seeded generator writes the journeys as the canonical CSV to a temporary file (rows
 * shuffled within blocks, as exports come). Each measurement runs in its own child process
 * that streams the file through the parser, as the CLI does, then runs its method(s); the
 * child reports its timings and its peak resident memory (process.resourceUsage().maxRSS,
 * which covers the whole process: Node itself, the parse and the method). Nothing is asserted.
 *
 * Standalone: `node libs/mmm-core/bench/dist/attribution.js` (after `npm run build`);
 * `npm run bench` runs it after the MMM figures. MMM_BENCH_JOURNEYS overrides the journey
 * count (touchpoints stay at 10 per journey on average).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ATTRIBUTION_METHODS,
  SeededRandom,
  attributeJourneys,
  createJourneyParser,
  type AttributionMethod,
  type JourneyTable,
} from '@mmm/core';

const CHANNELS = [
  'affiliate',
  'direct_mail',
  'display',
  'email',
  'online_video',
  'paid_search',
  'paid_social',
  'podcast',
  'push',
  'referral',
  'retargeting',
  'tv',
];

export interface JourneyFileSpec {
  journeys: number;
  touchpoints: number;
  seed: number;
  /** 41-character journey ids (UUID-like) instead of 7: the parse's memory must not grow. */
  longIds?: boolean;
}

/**
 * Synthetic journeys: each channel has a popularity and a lift on the odds of converting;
 * a journey of 1-19 touchpoints (then nudged one at a time until the total is exact) spread over up to 30 days
 * within a 120-day period converts with probability logistic(-3.2 + sum of its distinct
 * channels' lifts); its value is lognormal around 80. Rows are written in blocks of 20,000,
 * shuffled within a block, so that a journey's rows are neither together nor in time order.
 */
export function writeJourneyFile(file: string, spec: JourneyFileSpec): { bytes: number } {
  const random = new SeededRandom(spec.seed, 8);
  const weight = CHANNELS.map(() => 0.2 + random.next());
  const totalWeight = weight.reduce((a, b) => a + b, 0);
  const lift = CHANNELS.map((_, c) => (c % 4 === 0 ? 0 : 0.1 + 0.5 * random.next()));
  const pick = (): number => {
    let u = random.next() * totalWeight;
    for (let c = 0; c < CHANNELS.length; c++) {
      u -= weight[c];
      if (u < 0) return c;
    }
    return CHANNELS.length - 1;
  };
  const lengths = Array.from({ length: spec.journeys }, () => 1 + random.int(19));
  let total = lengths.reduce((a, b) => a + b, 0);
  while (total !== spec.touchpoints) {
    const j = random.int(spec.journeys);
    if (total < spec.touchpoints) {
      lengths[j]++;
      total++;
    } else if (lengths[j] > 1) {
      lengths[j]--;
      total--;
    }
  }
  const start = Date.UTC(2024, 0, 1);
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  const write = (text: string): void => {
    bytes += fs.writeSync(fd, text);
  };
  write('journey_id,timestamp,channel,converted,conversion_value\n');
  let block: string[] = [];
  const flush = (): void => {
    for (let k = block.length - 1; k > 0; k--) {
      const m = random.int(k + 1);
      const t = block[k];
      block[k] = block[m];
      block[m] = t;
    }
    write(block.join(''));
    block = [];
  };
  for (let j = 0; j < spec.journeys; j++) {
    const n = lengths[j];
    const first = start + random.next() * 90 * 86_400_000;
    const spread = random.next() * 30 * 86_400_000;
    const channels = Array.from({ length: n }, pick);
    const distinct = new Set(channels);
    let logit = -3.2;
    for (const c of distinct) logit += lift[c];
    const converted = random.next() < 1 / (1 + Math.exp(-logit));
    const value = converted ? Math.round(80 * Math.exp(0.6 * random.normal()) * 100) / 100 : 0;
    const id = spec.longIds
      ? `user-4f1c2a9e-7b3d-4e8a-9c21-${(j + 1).toString().padStart(12, '0')}`
      : `u${(j + 1).toString().padStart(6, '0')}`;
    for (let k = 0; k < n; k++) {
      const t = first + (n === 1 ? 0 : (spread * k) / (n - 1)) + random.next() * 3_600_000;
      const ts = new Date(Math.round(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
      block.push(`${id},${ts},${CHANNELS[channels[k]]},${converted ? 1 : 0},${value}\n`);
      if (block.length === 20_000) flush();
    }
  }
  flush();
  fs.closeSync(fd);
  return { bytes };
}

interface ChildReport {
  parseSeconds: number;
  rows: number;
  journeys: number;
  channels: number;
  methods: { method: AttributionMethod; seconds: number; detail?: string }[];
  maxRssMiB: number;
}

/** In the child: stream the file through the parser, then run `methods`. */
async function child(file: string, methods: AttributionMethod[]): Promise<ChildReport> {
  const t0 = performance.now();
  const parser = createJourneyParser();
  const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  for await (const chunk of stream) parser.push(chunk as string);
  const parsed = parser.finish();
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => i.message).join('\n'));
  const table: JourneyTable = parsed.table;
  const parseSeconds = (performance.now() - t0) / 1000;
  const report: ChildReport = {
    parseSeconds,
    rows: parsed.rows,
    journeys: table.journeyIds.length,
    channels: table.channels.length,
    methods: [],
    maxRssMiB: 0,
  };
  for (const method of methods) {
    const t = performance.now();
    const run = attributeJourneys(table, [method]);
    const seconds = (performance.now() - t) / 1000;
    const result = run.results[0];
    const detail =
      result.method === 'markov'
        ? `${result.states} states`
        : result.method === 'shapley'
          ? `${result.exact ? 'exact' : 'sampled'}, ${result.players} players`
          : undefined;
    report.methods.push({ method, seconds, detail });
  }
  report.maxRssMiB = (process.resourceUsage().maxRSS * 1024) / 2 ** 20;
  return report;
}

function runChild(file: string, mode: string): ChildReport {
  const r = spawnSync(process.execPath, [__filename, '--child', mode, file], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`attribution bench child '${mode}' failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildReport;
}

export interface AttributionFigures {
  journeys: number;
  touchpoints: number;
  channels: number;
  fileMiB: number;
  parse: { seconds: number; maxRssMiB: number };
  methods: { method: AttributionMethod; seconds: number; maxRssMiB: number; detail?: string }[];
  all: { parseSeconds: number; methodsSeconds: number; maxRssMiB: number };
  longIds: { fileMiB: number; seconds: number; maxRssMiB: number };
  load: number[];
}

function fmt(v: number, digits: number): string {
  return v.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export async function attributionBench(): Promise<AttributionFigures> {
  const journeys = Number(process.env.MMM_BENCH_JOURNEYS ?? 100_000);
  const touchpoints = journeys * 10;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-attribution-bench-'));
  const file = path.join(dir, 'journeys.csv');
  try {
    process.stdout.write(
      `attribution: writing ${fmt(touchpoints, 0)} touchpoints / ${fmt(journeys, 0)} journeys ... `,
    );
    const { bytes } = writeJourneyFile(file, { journeys, touchpoints, seed: 11 });
    console.log(`${fmt(bytes / 2 ** 20, 1)} MiB`);
    const load = os.loadavg();
    const parse = runChild(file, 'parse');
    console.log(
      `  parse (streamed, 1 MiB chunks): ${fmt(parse.parseSeconds, 2)} s, peak RSS ${fmt(parse.maxRssMiB, 0)} MiB`,
    );
    const methods: AttributionFigures['methods'] = [];
    for (const method of ATTRIBUTION_METHODS) {
      const r = runChild(file, method);
      const m = r.methods[0];
      methods.push({ method, seconds: m.seconds, maxRssMiB: r.maxRssMiB, detail: m.detail });
      console.log(
        `  ${method}: ${fmt(m.seconds, 3)} s after parsing${m.detail ? ` (${m.detail})` : ''}, peak RSS with the parse ${fmt(r.maxRssMiB, 0)} MiB`,
      );
    }
    const all = runChild(file, 'all');
    const longIds = path.join(dir, 'journeys-long-ids.csv');
    const long = writeJourneyFile(longIds, { journeys, touchpoints, seed: 11, longIds: true });
    const parseLong = runChild(longIds, 'parse');
    fs.rmSync(longIds);
    const methodsSeconds = all.methods.reduce((a, m) => a + m.seconds, 0);
    console.log(
      `  all seven in one process: parse ${fmt(all.parseSeconds, 2)} s + methods ${fmt(methodsSeconds, 2)} s = ${fmt(all.parseSeconds + methodsSeconds, 2)} s, peak RSS ${fmt(all.maxRssMiB, 0)} MiB`,
    );
    console.log(
      `  parse with 41-character ids (${fmt(long.bytes / 2 ** 20, 1)} MiB): ${fmt(parseLong.parseSeconds, 2)} s, peak RSS ${fmt(parseLong.maxRssMiB, 0)} MiB`,
    );
    return {
      journeys: parse.journeys,
      touchpoints: parse.rows,
      channels: parse.channels,
      fileMiB: bytes / 2 ** 20,
      parse: { seconds: parse.parseSeconds, maxRssMiB: parse.maxRssMiB },
      methods,
      all: { parseSeconds: all.parseSeconds, methodsSeconds, maxRssMiB: all.maxRssMiB },
      longIds: {
        fileMiB: long.bytes / 2 ** 20,
        seconds: parseLong.parseSeconds,
        maxRssMiB: parseLong.maxRssMiB,
      },
      load,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function attributionMarkdown(f: AttributionFigures): string {
  const lines = [
    '',
    '--- markdown for docs/BENCHMARKS.md (attribution) ---',
    '',
    `${fmt(f.touchpoints, 0)} touchpoints / ${fmt(f.journeys, 0)} journeys / ${f.channels} channels, CSV of ${fmt(f.fileMiB, 1)} MiB; load average before the run ${f.load.map((l) => l.toFixed(2)).join(', ')}.`,
    '',
    '| step | time | peak RSS (process) |',
    '|---|---|---|',
    `| parse (streamed) | ${fmt(f.parse.seconds, 2)} s | ${fmt(f.parse.maxRssMiB, 0)} MiB |`,
    ...f.methods.map(
      (m) =>
        `| ${m.method}${m.detail ? ` (${m.detail})` : ''} | ${fmt(m.seconds, 3)} s | ${fmt(m.maxRssMiB, 0)} MiB |`,
    ),
    `| all seven, parse included | ${fmt(f.all.parseSeconds + f.all.methodsSeconds, 2)} s | ${fmt(f.all.maxRssMiB, 0)} MiB |`,
    `| parse, 41-character journey ids (${fmt(f.longIds.fileMiB, 1)} MiB) | ${fmt(f.longIds.seconds, 2)} s | ${fmt(f.longIds.maxRssMiB, 0)} MiB |`,
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const [flag, mode, file] = process.argv.slice(2);
  if (flag === '--child') {
    const methods =
      mode === 'parse'
        ? []
        : mode === 'all'
          ? [...ATTRIBUTION_METHODS]
          : [mode as AttributionMethod];
    child(file, methods).then(
      (report) => process.stdout.write(JSON.stringify(report)),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  } else {
    attributionBench().then(
      (figures) => console.log(attributionMarkdown(figures)),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  }
}
