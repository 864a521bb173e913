/**
 * `npm run bench`: the speed figures of the engine, printed as text and as a markdown block
 * for docs/BENCHMARKS.md. Not a test: nothing is asserted.
 *
 * Figures (156 weeks x 8 channels unless stated):
 * - candidates/s for the full per-candidate work (transform every channel, fill the normal
 *   equations, ridge solve with non-negative media, NRMSE, DECOMP.RSSD), one thread and a
 *   worker pool on every core;
 * - wall time of a 2,000 x 5 NSGA-II search and of a 10,000-candidate single-trial search;
 * - single-thread cost against weeks (52 -> 520) and channels (4 -> 32);
 * - the peer (Robyn's own R code, ../shared/peers/robyn) in the same run when Rscript and a
 *   Robyn snapshot (ROBYN_SRC) are present, otherwise its documented figures, labelled so.
 *
 * This file does I/O (it reads the peer's data and runs R), so it lives outside the library's
 * src/ (which stays pure) as its own small project that imports '@mmm/core' like any user.
 * Environment: ROBYN_SRC, LARES_SRC (peer sources), MMM_BENCH_PEER=0 (skip the peer),
 * MMM_SHARED_DIR (the shared folder, default ../shared),
 * MMM_BENCH_PEER_LOOP_N (candidates for Robyn's full loop, default 100).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  availableCores,
  createCandidateContext,
  createCandidateEvaluator,
  createMediaMixEvaluator,
  searchMediaMix,
  SeededRandom,
  type CandidateContextInput,
} from '@mmm/core';
import { attributionBench, attributionMarkdown } from './attribution';
import { runAllocationBench } from './allocate';
import { benchTable } from './tables';

// Compiled to libs/mmm-core/bench/dist/run.js.
const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
// MMM_SHARED_DIR: where ../shared is when the checkout is elsewhere (e.g. a git worktree).
const sharedDir = process.env.MMM_SHARED_DIR ?? path.resolve(repoRoot, '..', 'shared');
const peerDir = path.join(sharedDir, 'peers', 'robyn');

/** Documented peer figures (../shared/peers/robyn/README.md, measured on a 2-core machine). */
const DOCUMENTED_PEER = { loop: 6.33, floorLow: 211, floorHigh: 246 };

interface Figures {
  table: string;
  singleThread: number;
  allCores: number;
  cores: number;
  search2000x5: number;
  search10000x1: number;
  weeks: { weeks: number; perSecond: number }[];
  channels: { channels: number; perSecond: number }[];
  peer: { measured: boolean; loop: number | null; floor: number | null; note: string };
}

function uniformGenomes(lower: Float64Array, upper: Float64Array, count: number, seed: number) {
  const d = lower.length;
  const random = new SeededRandom(seed);
  const g = new Float64Array(count * d);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < d; j++) g[i * d + j] = lower[j] + random.next() * (upper[j] - lower[j]);
  }
  return g;
}

/** Single-thread candidates per second, timed over at least `minSeconds`. */
function singleThreadRate(input: CandidateContextInput, minSeconds = 1): number {
  const context = createCandidateContext(input);
  const evaluator = createCandidateEvaluator(context);
  const d = context.layout.size;
  const pool = 4096;
  const genomes = uniformGenomes(context.layout.lower, context.layout.upper, pool, 3);
  let sink = 0;
  for (let i = 0; i < 300; i++)
    sink += evaluator.evaluate(genomes.subarray((i % pool) * d, (i % pool) * d + d)).nrmse;
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minSeconds * 1000) {
    for (let k = 0; k < 200; k++, count++) {
      const i = count % pool;
      sink += evaluator.evaluate(genomes.subarray(i * d, i * d + d)).nrmse;
    }
    elapsed = performance.now() - start;
  }
  if (sink === 42) console.log('');
  return (count / elapsed) * 1000;
}

async function poolRate(input: CandidateContextInput, workers: number): Promise<number> {
  const context = createCandidateContext(input);
  const evaluator = await createMediaMixEvaluator({ input }, workers);
  try {
    const batch = 2000;
    const genomes = uniformGenomes(context.layout.lower, context.layout.upper, batch, 5);
    const out = new Float64Array(batch * evaluator.objectiveCount);
    await evaluator.evaluate(genomes, batch, out); // warm-up
    let count = 0;
    const start = performance.now();
    while (performance.now() - start < 2000) {
      await evaluator.evaluate(genomes, batch, out);
      count += batch;
    }
    return (count / (performance.now() - start)) * 1000;
  } finally {
    await evaluator.close();
  }
}

/** Robyn's design (prophet trend and season included) and bounds, when the peer data is here. */
function robynTable(): CandidateContextInput | null {
  const csv = path.join(peerDir, 'data', 'design_robyn_dt_mod.csv');
  const config = path.join(peerDir, 'data', 'w1_config.json');
  if (!fs.existsSync(csv) || !fs.existsSync(config)) return null;
  const lines = fs.readFileSync(csv, 'utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',').map((h) => h.replace(/"/g, ''));
  const rows = lines.slice(1).map((l) => l.split(','));
  const column = (name: string) => Float64Array.from(rows, (r) => Number(r[header.indexOf(name)]));
  const w1 = JSON.parse(fs.readFileSync(config, 'utf8')) as {
    media: string[];
    controls: string[];
    bounds: Record<
      string,
      { theta: [number, number]; alpha: [number, number]; gamma: [number, number] }
    >;
  };
  return {
    kpi: column('dep_var'),
    baseline: [
      { name: 'trend', values: column('trend'), lower: 0, upper: 1 },
      { name: 'season', values: column('season'), lower: 0, upper: 1 },
      ...w1.controls.map((name) => ({ name, values: column(name) })),
    ],
    channels: w1.media.map((name) => ({ name, values: column(name), bounds: w1.bounds[name] })),
  };
}

function runPeer(): Figures['peer'] {
  const documented = (note: string): Figures['peer'] => ({
    measured: false,
    loop: null,
    floor: null,
    note,
  });
  if (process.env.MMM_BENCH_PEER === '0') return documented('skipped (MMM_BENCH_PEER=0)');
  const robynSrc = process.env.ROBYN_SRC ?? '/tmp/robyn-src';
  const laresSrc = process.env.LARES_SRC ?? '/tmp/lares-src';
  const which = spawnSync('sh', ['-c', 'command -v Rscript'], { encoding: 'utf8' });
  if (which.status !== 0) return documented('Rscript not found');
  if (!fs.existsSync(path.join(robynSrc, 'R')))
    return documented(`no Robyn snapshot at ${robynSrc}`);
  if (!fs.existsSync(path.join(peerDir, 'robyn_core_bench.R')))
    return documented(`no peer harness at ${peerDir}`);
  const env = { ...process.env, ROBYN_SRC: robynSrc, LARES_SRC: laresSrc };
  const run = (args: string[]): Record<string, unknown> | null => {
    const r = spawnSync(
      'Rscript',
      [
        'robyn_core_bench.R',
        'search',
        '--data',
        'data/synthetic_weekly.csv',
        '--config',
        'data/w1_config.json',
        ...args,
      ],
      { cwd: peerDir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
    );
    if (r.status !== 0) return null;
    try {
      return JSON.parse(r.stdout) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  const loopN = Number(process.env.MMM_BENCH_PEER_LOOP_N ?? 100);
  process.stdout.write(`  peer: Robyn floor, 2000 candidates ... `);
  const floor = run(['--n', '2000', '--mode', 'floor']);
  const floorRate =
    (floor?.timing as Record<string, number> | undefined)?.floor_candidates_per_s ?? null;
  console.log(floorRate === null ? 'failed' : `${floorRate.toFixed(1)} cand/s`);
  process.stdout.write(`  peer: Robyn robyn_mmm() loop, ${loopN} candidates ... `);
  const loop = run(['--n', String(loopN)]);
  const loopRate = (loop?.timing as Record<string, number> | undefined)?.candidates_per_s ?? null;
  console.log(loopRate === null ? 'failed' : `${loopRate.toFixed(2)} cand/s`);
  if (floorRate === null && loopRate === null) return documented('the R run failed');
  return {
    measured: true,
    loop: loopRate,
    floor: floorRate,
    note: `measured in this run (floor: 2,000 candidates; loop: ${loopN} candidates, cores=1)`,
  };
}

function fmt(v: number, digits = 0): string {
  return v.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

async function main(): Promise<void> {
  const cores = availableCores();
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  const started = new Date().toISOString();
  console.log(`mmm-core bench  ${started}`);
  console.log(
    `machine: ${cpu}, ${cores} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, node ${process.version}`,
  );

  const robyn = robynTable();
  const headline = robyn ?? benchTable(156, 8);
  const tableName = robyn
    ? "Robyn's design of the peer data (156 weeks x 8 channels, prophet trend + season, 2 controls)"
    : 'generated table (156 weeks x 8 channels, trend, season, 2 controls)';
  console.log(`table: ${tableName}`);

  const singleThread = singleThreadRate(headline, 2);
  console.log(`single thread: ${fmt(singleThread)} candidates/s`);
  const allCores = await poolRate(headline, cores);
  console.log(`${cores} worker threads: ${fmt(allCores)} candidates/s`);

  // The search alone, as Robyn's loop: 'knee' picks on the front without the posterior sampler.
  const pick = { selection: 'knee' as const, workers: cores };
  let t = performance.now();
  await searchMediaMix(headline, { iterations: 2000, trials: 5, seed: 1, ...pick });
  const search2000x5 = (performance.now() - t) / 1000;
  console.log(`search 2000 x 5 (NSGA-II, ${cores} workers): ${fmt(search2000x5, 2)} s`);
  t = performance.now();
  await searchMediaMix(headline, { iterations: 10000, trials: 1, seed: 2, ...pick });
  const search10000x1 = (performance.now() - t) / 1000;
  console.log(`search 10000 x 1 (NSGA-II, ${cores} workers): ${fmt(search10000x1, 2)} s`);

  const weeks = [];
  for (const w of [52, 104, 156, 260, 520]) {
    const perSecond = singleThreadRate(benchTable(w, 8), 0.7);
    weeks.push({ weeks: w, perSecond });
    console.log(`  ${w} weeks x 8 channels: ${fmt(perSecond)} candidates/s`);
  }
  const channels = [];
  for (const c of [4, 8, 16, 32]) {
    const perSecond = singleThreadRate(benchTable(156, c), 0.7);
    channels.push({ channels: c, perSecond });
    console.log(`  156 weeks x ${c} channels: ${fmt(perSecond)} candidates/s`);
  }

  const peer = runPeer();
  const figures: Figures = {
    table: tableName,
    singleThread,
    allCores,
    cores,
    search2000x5,
    search10000x1,
    weeks,
    channels,
    peer,
  };
  printMarkdown(figures, started, cpu);
  console.log(attributionMarkdown(await attributionBench()));
  runAllocationBench(peerDir);
}

function printMarkdown(f: Figures, date: string, cpu: string): void {
  const lines: string[] = [];
  lines.push('', '--- markdown for docs/BENCHMARKS.md ---', '');
  lines.push(`Run: \`npm run bench\`, ${date}, ${cpu}, ${f.cores} cores, node ${process.version}.`);
  lines.push(`Table: ${f.table}.`, '');
  lines.push('| figure | value |', '|---|---|');
  lines.push(`| candidates/s, 1 thread | ${fmt(f.singleThread)} |`);
  lines.push(`| candidates/s, ${f.cores} worker threads | ${fmt(f.allCores)} |`);
  lines.push(`| 2,000 x 5 search, wall | ${fmt(f.search2000x5, 2)} s |`);
  lines.push(`| 10,000 x 1 search, wall | ${fmt(f.search10000x1, 2)} s |`);
  lines.push('', '| weeks (8 channels) | candidates/s, 1 thread |', '|---|---|');
  for (const w of f.weeks) lines.push(`| ${w.weeks} | ${fmt(w.perSecond)} |`);
  lines.push('', '| channels (156 weeks) | candidates/s, 1 thread |', '|---|---|');
  for (const c of f.channels) lines.push(`| ${c.channels} | ${fmt(c.perSecond)} |`);
  lines.push('');
  const loop = f.peer.loop ?? DOCUMENTED_PEER.loop;
  const floorLow = f.peer.floor ?? DOCUMENTED_PEER.floorLow;
  const floorHigh = f.peer.floor ?? DOCUMENTED_PEER.floorHigh;
  const label = f.peer.measured
    ? `Peer (Robyn 3.12 in R), ${f.peer.note}`
    : `Peer (Robyn 3.12 in R): NOT MEASURED IN THIS RUN (${f.peer.note}); documented figures from ../shared/peers/robyn/README.md`;
  lines.push(label + ':', '');
  lines.push(
    '| peer path | peer candidates/s | ours, 1 thread | ratio | ours, all cores | ratio |',
  );
  lines.push('|---|---|---|---|---|---|');
  lines.push(
    `| robyn_mmm() loop | ${fmt(loop, 2)} | ${fmt(f.singleThread)} | ${fmt(f.singleThread / loop)}x | ${fmt(f.allCores)} | ${fmt(f.allCores / loop)}x |`,
  );
  const floorText = floorLow === floorHigh ? fmt(floorLow, 1) : `${floorLow}-${floorHigh}`;
  const ratio = (v: number) =>
    floorLow === floorHigh
      ? `${fmt(v / floorLow, 1)}x`
      : `${fmt(v / floorHigh, 1)}-${fmt(v / floorLow, 1)}x`;
  lines.push(
    `| bare numeric path (transforms + glmnet) | ${floorText} | ${fmt(f.singleThread)} | ${ratio(f.singleThread)} | ${fmt(f.allCores)} | ${ratio(f.allCores)} |`,
  );
  console.log(lines.join('\n'));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
