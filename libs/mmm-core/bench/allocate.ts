/**
 * Allocation figures for `npm run bench`: time of allocateBudget for 8, 32 and 128 channels
 * and of a 50-budget efficient frontier, and, when Rscript and a Robyn snapshot are present,
 * Robyn's own allocator (../shared/peers/robyn, workload W2: Robyn's eval_f / eval_g_eq with
 * nloptr) on the same curves in the same run: both objectives and the time ratio.
 *
 * The peer's inputs are Robyn's allocator curves (coef / (1 + (I / (x + carryover))^alpha),
 * spend per period, bounds as multiples of current spend); each becomes a MediaMixModel whose
 * channels have those coefficients, Hill parameters and mean carryover, allocated with
 * carryover 'historical-mean' (Robyn's curve) and the same bounds and budget. Robyn drops
 * channels with coefficient <= 0; so does this bench. Robyn always runs a second, widened
 * optimisation (bounds x3): both are timed and compared.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  allocateBudget,
  efficientFrontier,
  SeededRandom,
  type AllocationScenario,
  type MediaMixModel,
} from '@mmm/core';

interface PeerChannel {
  name: string;
  coef: number;
  alpha: number;
  gamma?: number;
  adstocked_max?: number;
  inflexion?: number;
  carryover_mean?: number;
  current_spend: number;
  lower?: number;
  upper?: number;
}

interface PeerInput {
  total_budget: number | null;
  channel_constr_multiplier?: number;
  channels: PeerChannel[];
  [key: string]: unknown;
}

interface PeerRun {
  total_response: number;
  wall_s_median: number;
  iterations: number;
  nloptr_status: number;
}

interface PeerResult {
  bounded: PeerRun;
  unbounded_x_multiplier: PeerRun;
  extra_plain_slsqp: { total_response: number; wall_s: number };
}

export interface AllocationCase {
  name: string;
  channels: number;
  ours: {
    bounded: number;
    widened: number;
    msBounded: number;
    msWidened: number;
    method: string;
  };
  peer: {
    slsqpAuglag: PeerRun;
    slsqpAuglagWidened: PeerRun;
    mmaAuglag: PeerRun | null;
    plainSlsqp: number;
  } | null;
}

export interface AllocationFigures {
  cases: AllocationCase[];
  scaling: { channels: number; carryover: string; ms: number; method: string }[];
  frontier: { budgets: number; ms: number; channels: number };
  peerNote: string;
}

const inflexionOf = (c: PeerChannel) => c.inflexion ?? (c.gamma ?? 0) * (c.adstocked_max ?? 0);

/** Robyn's objective at an allocation: sum coef / (1 + (I / (x + c))^alpha). */
function robynObjective(input: PeerInput, spend: Record<string, number>): number {
  let total = 0;
  for (const c of input.channels) {
    if (!(c.coef > 0)) continue;
    const x = spend[c.name] + (c.carryover_mean ?? 0);
    total += x > 0 ? c.coef / (1 + Math.pow(inflexionOf(c) / x, c.alpha)) : 0;
  }
  return total;
}

/** The peer's input as a model (flat history at current spend; only the curves matter here). */
function modelOf(input: PeerInput): MediaMixModel {
  const n = 52;
  const channels = input.channels.filter((c) => c.coef > 0);
  return {
    schemaVersion: 4,
    kpi: { name: 'revenue', type: 'revenue' },
    adstock: 'geometric',
    periods: { count: n, trainEnd: n },
    intercept: 0,
    lambda: 0,
    baseline: [],
    channels: channels.map((c) => ({
      name: c.name,
      kind: 'paid' as const,
      coefficient: c.coef,
      adstock: { theta: 0 },
      saturation: {
        type: 'hill' as const,
        alpha: c.alpha,
        gamma: c.gamma ?? 0.5,
        inflexion: inflexionOf(c),
      },
      history: new Array<number>(n).fill(c.current_spend),
      meanSpend: c.current_spend,
      costPerUnit: 1,
      carryoverMean: c.carryover_mean ?? 0,
    })),
    interactions: [],
    actual: new Array<number>(n).fill(0),
    metrics: { rsq: 0, adjustedRsq: 0, nrmse: 0, mape: 0, decompRssd: 0 },
  };
}

/** Robyn's bounded scenario and its widened second run (channel_constr_multiplier). */
function scenarios(input: PeerInput): [AllocationScenario, AllocationScenario] {
  const mult = input.channel_constr_multiplier ?? 3;
  const live = input.channels.filter((c) => c.coef > 0);
  const budget = input.total_budget ?? live.reduce((a, c) => a + c.current_spend, 0);
  const rules = (widen: boolean) =>
    Object.fromEntries(
      live.map((c) => {
        const low = c.lower ?? 0.5;
        const up = c.upper ?? 2;
        return [
          c.name,
          widen
            ? { minMultiple: Math.max(0, 1 - (1 - low) * mult), maxMultiple: 1 + (up - 1) * mult }
            : { minMultiple: low, maxMultiple: up },
        ];
      }),
    );
  const base = { periods: 1, budget, carryover: 'historical-mean' as const };
  return [
    { ...base, channels: rules(false) },
    { ...base, channels: rules(true) },
  ];
}

/** Median wall time of f in ms over `repeats` runs after warm-ups (the JIT's first passes). */
function medianMs<T>(f: () => T, repeats: number): { ms: number; value: T } {
  let value = f();
  for (let i = 0; i < 5; i++) f();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    value = f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], value };
}

/** Channels drawn like Robyn's bounds (alpha 0.5-3, gamma 0.3-1) around the w2 scale. */
export function generatedInput(count: number, seed: number): PeerInput {
  const random = new SeededRandom(seed);
  const u = (a: number, b: number) => a + (b - a) * random.next();
  const channels: PeerChannel[] = Array.from({ length: count }, (_, i) => {
    const current = u(5000, 80000);
    const gamma = u(0.3, 1);
    const adstockedMax = current * u(2, 6);
    return {
      name: `ch${String(i).padStart(3, '0')}`,
      coef: u(0.5, 4) * current * u(1, 3),
      alpha: u(0.5, 3),
      gamma,
      adstocked_max: adstockedMax,
      inflexion: gamma * adstockedMax,
      carryover_mean: current * u(0, 1.5),
      current_spend: current,
      lower: 0.5,
      upper: 2,
    };
  });
  return {
    budget_unit: 'per_period',
    total_budget: null,
    scenario: 'max_response',
    optim_algo: 'SLSQP_AUGLAG',
    maxeval: 100000,
    xtol_rel: 1e-10,
    constr_mode: 'eq',
    channel_constr_multiplier: 3,
    channels,
  };
}

function runPeer(
  peerDir: string,
  inputFile: string,
  repeats: number,
  algo: string | null,
  env: NodeJS.ProcessEnv,
): PeerResult | null {
  const args = [
    'robyn_core_bench.R',
    'allocate',
    '--input',
    inputFile,
    '--repeat',
    String(repeats),
  ];
  if (algo) args.push('--algo', algo);
  const r = spawnSync('Rscript', args, {
    cwd: peerDir,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 900_000,
  });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout) as PeerResult;
  } catch {
    return null;
  }
}

export function allocationBench(options: {
  peerDir: string;
  robynSrc: string;
  laresSrc: string;
  runPeer: boolean;
  peerMissing: string | null;
}): AllocationFigures {
  const cases: AllocationCase[] = [];
  const inputs: { name: string; input: PeerInput; file: string | null; repeats: number }[] = [];
  for (const file of ['w2_truth.json', 'w2_best_n2000.json']) {
    const full = path.join(options.peerDir, 'data', file);
    if (fs.existsSync(full)) {
      inputs.push({
        name: `${file} (8 channels)`,
        input: JSON.parse(fs.readFileSync(full, 'utf8')) as PeerInput,
        file: full,
        repeats: 20,
      });
    }
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-bench-allocate-'));
  for (const [count, seed] of [
    [32, 32],
    [128, 128],
  ] as const) {
    const input = generatedInput(count, seed);
    const file = path.join(scratch, `generated_${count}.json`);
    fs.writeFileSync(file, JSON.stringify(input));
    inputs.push({ name: `generated, ${count} channels`, input, file, repeats: count > 32 ? 3 : 5 });
  }
  const env = { ...process.env, ROBYN_SRC: options.robynSrc, LARES_SRC: options.laresSrc };
  for (const { name, input, file, repeats } of inputs) {
    const model = modelOf(input);
    const [bounded, widened] = scenarios(input);
    const spendOf = (r: ReturnType<typeof allocateBudget>) =>
      Object.fromEntries(r.channels.map((c) => [c.channel, c.recommended]));
    const b = medianMs(() => allocateBudget(model, bounded), 50);
    const w = medianMs(() => allocateBudget(model, widened), 50);
    const ours = {
      bounded: robynObjective(input, spendOf(b.value)),
      widened: robynObjective(input, spendOf(w.value)),
      msBounded: b.ms,
      msWidened: w.ms,
      method: b.value.method,
    };
    let peer: AllocationCase['peer'] = null;
    if (options.runPeer && file) {
      process.stdout.write(`  peer: Robyn allocator on ${name} ... `);
      const main = runPeer(options.peerDir, file, repeats, null, env);
      const mma = main ? runPeer(options.peerDir, file, repeats, 'MMA_AUGLAG', env) : null;
      console.log(main ? `${(main.bounded.wall_s_median * 1000).toFixed(0)} ms` : 'failed');
      if (main) {
        peer = {
          slsqpAuglag: main.bounded,
          slsqpAuglagWidened: main.unbounded_x_multiplier,
          mmaAuglag: mma?.bounded ?? null,
          plainSlsqp: main.extra_plain_slsqp.total_response,
        };
      }
    }
    cases.push({ name, channels: model.channels.length, ours, peer });
    console.log(
      `  ${name}: ours ${ours.msBounded.toFixed(2)} ms (${ours.method}), objective ${ours.bounded.toFixed(2)}` +
        (peer
          ? `; Robyn ${(peer.slsqpAuglag.wall_s_median * 1000).toFixed(1)} ms, ${peer.slsqpAuglag.total_response.toFixed(2)}`
          : ''),
    );
  }
  fs.rmSync(scratch, { recursive: true, force: true });

  // Our default carryover (the model's forecast over a 13-period horizon) on flighted
  // histories with geometric adstock: more terms per curve than Robyn's.
  const scaling: AllocationFigures['scaling'] = [];
  for (const count of [8, 32, 128]) {
    const input = count === 8 && inputs[0] ? inputs[0].input : generatedInput(count, count);
    const base = modelOf(input);
    const random = new SeededRandom(count + 7);
    const horizonModel: MediaMixModel = {
      ...base,
      channels: base.channels.map((c) => ({
        ...c,
        adstock: { theta: 0.1 + 0.6 * random.next() },
        history: c.history.map((v, t) => v * (t % 5 < 3 ? 1.5 : 0.25)),
      })),
    };
    const [bounded] = scenarios(input);
    for (const [carryover, model] of [
      ['historical-mean', base],
      ['horizon', horizonModel],
    ] as const) {
      const scenario = { ...bounded, periods: carryover === 'horizon' ? 13 : 1 };
      if (carryover === 'horizon') scenario.budget = (bounded.budget as number) * 13;
      const r = medianMs(
        () => allocateBudget(model, { ...scenario, carryover }),
        count > 32 ? 7 : 15,
      );
      scaling.push({ channels: count, carryover, ms: r.ms, method: r.value.method });
      console.log(
        `  ${count} channels, carryover ${carryover}: ${r.ms.toFixed(2)} ms (${r.value.method})`,
      );
    }
  }

  const w2 = inputs[0]?.input ?? generatedInput(8, 8);
  const [bounded] = scenarios(w2);
  const model = modelOf(w2);
  const total = bounded.budget as number;
  const budgets = Array.from({ length: 50 }, (_, i) => total * (0.5 + (1.5 * i) / 49));
  const f = medianMs(() => efficientFrontier(model, bounded, budgets), 10);
  console.log(`  frontier of 50 budgets, ${model.channels.length} channels: ${f.ms.toFixed(1)} ms`);
  return {
    cases,
    scaling,
    frontier: { budgets: 50, ms: f.ms, channels: model.channels.length },
    peerNote: options.runPeer
      ? 'measured in this run'
      : `NOT MEASURED IN THIS RUN (${options.peerMissing ?? 'skipped'})`,
  };
}

/** (ours - peer) / peer; within 1e-12 it is rounding of the sum: "equal". */
const relative = (ours: number, peer: number) => {
  const r = (ours - peer) / Math.abs(peer);
  return Math.abs(r) < 1e-12
    ? `equal (${r.toExponential(0)})`
    : `${r > 0 ? '+' : ''}${r.toExponential(2)}`;
};

const fmt = (v: number, digits = 2) =>
  v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The markdown block for docs/BENCHMARKS.md. */
export function allocationMarkdown(f: AllocationFigures): string[] {
  const lines: string[] = ['', `Allocation (peer: Robyn's allocator, ${f.peerNote}):`, ''];
  lines.push(
    '| case | ours, ms | ours, objective | Robyn SLSQP_AUGLAG (default), ms | its objective | MMA_AUGLAG | plain SLSQP | (ours - best peer) / best | time ratio |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const c of f.cases) {
    const p = c.peer;
    const best = p
      ? Math.max(
          p.slsqpAuglag.total_response,
          p.mmaAuglag?.total_response ?? -Infinity,
          p.plainSlsqp,
        )
      : null;
    lines.push(
      `| ${c.name}, bounded | ${fmt(c.ours.msBounded)} | ${fmt(c.ours.bounded)} | ${p ? fmt(p.slsqpAuglag.wall_s_median * 1000, 1) : '-'} | ${p ? fmt(p.slsqpAuglag.total_response) : '-'} | ${p?.mmaAuglag ? fmt(p.mmaAuglag.total_response) : '-'} | ${p ? fmt(p.plainSlsqp) : '-'} | ${best !== null ? relative(c.ours.bounded, best) : '-'} | ${p ? `${fmt((p.slsqpAuglag.wall_s_median * 1000) / c.ours.msBounded, 0)}x` : '-'} |`,
    );
    lines.push(
      `| ${c.name}, widened x3 | ${fmt(c.ours.msWidened)} | ${fmt(c.ours.widened)} | ${p ? fmt(p.slsqpAuglagWidened.wall_s_median * 1000, 1) : '-'} | ${p ? fmt(p.slsqpAuglagWidened.total_response) : '-'} | - | - | ${p ? relative(c.ours.widened, p.slsqpAuglagWidened.total_response) : '-'} | ${p ? `${fmt((p.slsqpAuglagWidened.wall_s_median * 1000) / c.ours.msWidened, 0)}x` : '-'} |`,
    );
  }
  lines.push('', '| channels | carryover | ms per allocation | method |', '|---|---|---|---|');
  for (const s of f.scaling)
    lines.push(`| ${s.channels} | ${s.carryover} | ${fmt(s.ms)} | ${s.method} |`);
  lines.push(
    '',
    `Efficient frontier, ${f.frontier.budgets} budgets, ${f.frontier.channels} channels: ${fmt(f.frontier.ms, 1)} ms.`,
  );
  return lines;
}

/**
 * Run the allocation figures and print them with their markdown block. The peer runs when
 * Rscript, a Robyn snapshot (ROBYN_SRC, default /tmp/robyn-src) and the harness are present,
 * unless MMM_BENCH_PEER=0.
 */
export function runAllocationBench(peerDir: string): void {
  const robynSrc = process.env.ROBYN_SRC ?? '/tmp/robyn-src';
  const laresSrc = process.env.LARES_SRC ?? '/tmp/lares-src';
  let peerMissing: string | null = null;
  if (process.env.MMM_BENCH_PEER === '0') peerMissing = 'skipped (MMM_BENCH_PEER=0)';
  else if (spawnSync('sh', ['-c', 'command -v Rscript']).status !== 0)
    peerMissing = 'Rscript not found';
  else if (!fs.existsSync(path.join(robynSrc, 'R')))
    peerMissing = `no Robyn snapshot at ${robynSrc}`;
  else if (!fs.existsSync(path.join(peerDir, 'robyn_core_bench.R'))) {
    peerMissing = `no peer harness at ${peerDir}`;
  }
  console.log(
    `allocation (node ${process.version}, load average ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}):`,
  );
  const figures = allocationBench({
    peerDir,
    robynSrc,
    laresSrc,
    runPeer: peerMissing === null,
    peerMissing,
  });
  console.log(allocationMarkdown(figures).join('\n'));
  console.log(
    `load average after: ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
}

// `node libs/mmm-core/bench/dist/allocate.js`: the allocation figures alone.
if (require.main === module) {
  const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
  const shared = process.env.MMM_SHARED_DIR ?? path.resolve(repoRoot, '..', 'shared');
  runAllocationBench(path.join(shared, 'peers', 'robyn'));
}
