/**
 * A budget scenario: the horizon, the budget, the objective and the rules (bounds, locks,
 * group shares, share-of-voice floors). resolveScenario checks every field once, turns every
 * rule into absolute spend per period and arranges the group rules into a tree; the solvers
 * see only the resolved form.
 *
 * Units: the budget is money over the whole horizon (as analysts plan it); every per-channel
 * number (bounds, locks, the result's spend) is money per period, like the model's meanSpend.
 */
import type { KpiType, MediaMixModel } from '../model/model';
import { AllocationScenarioError, InfeasibleAllocationError } from './errors';

/**
 * - response: the largest incremental KPI for the budget;
 * - roi: the largest incremental KPI per unit of spend, spending at most the budget;
 * - target-roas: the largest spend (at most the budget) whose ROAS stays >= target
 *   (revenue KPI);
 * - target-cpa: the largest spend (at most the budget) whose CPA stays <= target
 *   (conversions KPI).
 */
export type AllocationObjective = 'response' | 'roi' | 'target-roas' | 'target-cpa';

/**
 * How spend turns into response over the horizon (docs/FORMULAS.md, allocation):
 * - horizon (default): the model's own forecast: the plan's spend per period is appended to
 *   the history, the carryover of past spend flows in, and the plan is credited with all the
 *   KPI its spend causes, inside the horizon and after it (its own carryover);
 * - steady-state: spend held at the same level for long, no history: each period gets the
 *   adstock's full sum of weights;
 * - historical-mean: Robyn's allocator: the saturation at spend + the mean historical
 *   carryover, the same in every period (predict.ts, allocatorResponse).
 */
export type CarryoverMode = 'horizon' | 'steady-state' | 'historical-mean';

/** Bounds of one channel's spend per period; every given bound applies (the tightest wins). */
export interface ChannelRule {
  /** Least spend per period (money). */
  min?: number;
  /** Most spend per period (money). */
  max?: number;
  /** Least spend per period as a multiple of current spend (e.g. 0.5). */
  minMultiple?: number;
  /** Most spend per period as a multiple of current spend (e.g. 2). */
  maxMultiple?: number;
  /** Keep the channel at current spend (true) or at this spend per period. */
  locked?: boolean | number;
}

/** Bounds on the spend of a set of channels, as a share of total spend or in money. */
export interface GroupRule {
  name: string;
  channels: string[];
  /** Least share of the total spend (0..1). */
  minShare?: number;
  /** Most share of the total spend (0..1). */
  maxShare?: number;
  /** Least spend per period (money). */
  min?: number;
  /** Most spend per period (money). */
  max?: number;
}

/**
 * Competitive parity: the channels' share of voice, own spend / (own + competitors' spend),
 * must be at least minShare, i.e. own spend >= minShare / (1 - minShare) x competitorSpend.
 */
export interface ShareOfVoiceRule {
  /** Default `shareOfVoice[i]`. */
  name?: string;
  channels: string[];
  /** Competitors' spend per period in these channels (money). */
  competitorSpend: number;
  /** Least share of voice, in [0, 1). */
  minShare: number;
}

export interface AllocationScenario {
  /** Planning horizon in model periods (weeks or days); an integer >= 1. */
  periods: number;
  /**
   * Total budget over the horizon (money). Default: current spend per period x periods. For
   * roi and the target objectives it is a ceiling.
   */
  budget?: number;
  /** Objective (default 'response'). */
  objective?: AllocationObjective;
  /** target-roas: the least ROAS; target-cpa: the most CPA. Required by those objectives. */
  target?: number;
  /**
   * What the target applies to: 'total' (default; Robyn's target_efficiency: total response /
   * total spend) or 'marginal' (the return of the last unit of spend).
   */
  targetOn?: 'total' | 'marginal';
  /**
   * 'equal' (default): the response objective spends exactly the budget; 'ceiling': at most.
   * (Curves that only rise spend the whole ceiling; roi and targets always treat it as one.)
   */
  budgetMode?: 'equal' | 'ceiling';
  /** Rules per channel by name (spend per period). */
  channels?: Record<string, ChannelRule>;
  /** The rule of every paid channel that `channels` does not name (default: spend >= 0). */
  defaultChannelRule?: ChannelRule;
  /** Group rules; groups must be disjoint or nested. */
  groups?: GroupRule[];
  /** Share-of-voice floors; their channel sets, like groups, must be disjoint or nested. */
  shareOfVoice?: ShareOfVoiceRule[];
  /** Default 'horizon'. */
  carryover?: CarryoverMode;
}

export interface AllocationOptions {
  /**
   * Budget grid of the global method for S-shaped curves: steps between the least and the
   * largest budget (default 1000). More steps: slower, closer basin choice; the answer is
   * refined off the grid either way.
   */
  gridSteps?: number;
  /**
   * Alternative models (posterior or bootstrap draws, same paid channels): the expected
   * response, KPI and lift then carry intervals over them. Default: none.
   */
  draws?: MediaMixModel[];
  /** Central probability of those intervals (default 0.9). */
  intervalLevel?: number;
}

/** A channel's resolved bounds, with the names of the rules that set them. */
export interface ResolvedChannel {
  name: string;
  /** Index in model.channels. */
  index: number;
  /** Current spend per period: the model's mean over its training rows. */
  current: number;
  /** The largest spend per period seen in the training rows. */
  historyMax: number;
  lower: number;
  upper: number;
  lowerRule: string;
  upperRule: string;
  locked: boolean;
}

/**
 * A node of the rule tree: the root is every channel (the budget), the others are the group
 * and share-of-voice rules. Bounds on a node's total spend per period at total spend b:
 * [max(min, minShare b), min(max, maxShare b)] (the root: exactly b).
 */
export interface RuleNode {
  /** Rules that bound this set, e.g. ["groups[digital]", "shareOfVoice[parity]"]. */
  rules: string[];
  /** Every channel under the node (indices into ResolvedScenario.channels). */
  channels: number[];
  /** Channels directly under it (not under a child node). */
  leaves: number[];
  /** Child nodes (indices into ResolvedScenario.nodes). */
  children: number[];
  minShare: number;
  maxShare: number;
  min: number;
  max: number;
  /** The rule names that set min/minShare and max/maxShare, for messages. */
  lowerRule: string;
  upperRule: string;
}

export interface ResolvedScenario {
  model: MediaMixModel;
  kpiType: KpiType;
  periods: number;
  /** Total over the horizon (a ceiling for roi and targets). */
  budget: number;
  /** budget / periods. */
  budgetPerPeriod: number;
  budgetMode: 'equal' | 'ceiling';
  objective: AllocationObjective;
  target: number | null;
  targetOn: 'total' | 'marginal';
  carryover: CarryoverMode;
  channels: ResolvedChannel[];
  /** nodes[0] is the root (all channels); children come after their parents. */
  nodes: RuleNode[];
  gridSteps: number;
  draws: MediaMixModel[];
  intervalLevel: number;
}

const CHANNEL_RULE_FIELDS = ['min', 'max', 'minMultiple', 'maxMultiple', 'locked'];
const GROUP_FIELDS = ['name', 'channels', 'minShare', 'maxShare', 'min', 'max'];
const SOV_FIELDS = ['name', 'channels', 'competitorSpend', 'minShare'];
const SCENARIO_FIELDS = [
  'periods',
  'budget',
  'objective',
  'target',
  'targetOn',
  'budgetMode',
  'channels',
  'defaultChannelRule',
  'groups',
  'shareOfVoice',
  'carryover',
];

function fail(field: string, problem: string): never {
  throw new AllocationScenarioError(field, problem);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkFields(value: unknown, field: string, known: string[]): Record<string, unknown> {
  if (!isRecord(value)) fail(field, 'expected an object');
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      fail(`${field}${field ? '.' : ''}${key}`, `unknown field (known: ${known.join(', ')})`);
    }
  }
  return value;
}

/** A finite number >= 0 (money, multiples), or undefined when absent. */
function amount(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    fail(field, `expected a finite number, got ${JSON.stringify(v) ?? String(v)}`);
  }
  if (v < 0) fail(field, `must be >= 0, got ${v}`);
  return v;
}

function share(v: unknown, field: string, below1 = false): number | undefined {
  const x = amount(v, field);
  if (x !== undefined && (below1 ? x >= 1 : x > 1)) {
    fail(field, `must be a share ${below1 ? 'below 1' : 'between 0 and 1'}, got ${x}`);
  }
  return x;
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(field, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v) ?? String(v)}`);
  }
  return v as T;
}

const money = (v: number): string =>
  Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(v);

function resolveChannel(
  model: MediaMixModel,
  index: number,
  rule: unknown,
  field: string,
): ResolvedChannel {
  const channel = model.channels[index];
  const current = channel.meanSpend;
  let historyMax = 0;
  for (let t = 0; t < model.periods.trainEnd; t++) {
    historyMax = Math.max(historyMax, channel.history[t] * channel.costPerUnit);
  }
  const resolved: ResolvedChannel = {
    name: channel.name,
    index,
    current,
    historyMax,
    lower: 0,
    upper: Infinity,
    lowerRule: 'spend >= 0',
    upperRule: 'no upper bound',
    locked: false,
  };
  if (rule === undefined) return resolved;
  const r = checkFields(rule, field, CHANNEL_RULE_FIELDS);
  const raise = (value: number | undefined, name: string) => {
    if (value !== undefined && value > resolved.lower) {
      resolved.lower = value;
      resolved.lowerRule = name;
    }
  };
  const cap = (value: number | undefined, name: string) => {
    if (value !== undefined && value < resolved.upper) {
      resolved.upper = value;
      resolved.upperRule = name;
    }
  };
  const min = amount(r.min, `${field}.min`);
  const max = amount(r.max, `${field}.max`);
  const minMultiple = amount(r.minMultiple, `${field}.minMultiple`);
  const maxMultiple = amount(r.maxMultiple, `${field}.maxMultiple`);
  raise(min, `${field}.min`);
  raise(minMultiple === undefined ? undefined : minMultiple * current, `${field}.minMultiple`);
  cap(max, `${field}.max`);
  cap(maxMultiple === undefined ? undefined : maxMultiple * current, `${field}.maxMultiple`);
  if (r.locked !== undefined && r.locked !== false) {
    let at = current;
    if (typeof r.locked === 'number') at = amount(r.locked, `${field}.locked`) as number;
    else if (r.locked !== true)
      fail(`${field}.locked`, 'expected true, false or a spend per period');
    if (at < resolved.lower || at > resolved.upper) {
      const other = at < resolved.lower ? resolved.lowerRule : resolved.upperRule;
      throw new InfeasibleAllocationError(
        [`${field}.locked`, other],
        `${channel.name} is locked at ${money(at)} per period, outside its bounds [${money(resolved.lower)}, ${money(resolved.upper)}]`,
      );
    }
    resolved.lower = at;
    resolved.upper = at;
    resolved.lowerRule = resolved.upperRule = `${field}.locked`;
    resolved.locked = true;
  }
  if (resolved.lower > resolved.upper) {
    throw new InfeasibleAllocationError(
      [resolved.lowerRule, resolved.upperRule],
      `${channel.name} needs at least ${money(resolved.lower)} and at most ${money(resolved.upper)} per period`,
    );
  }
  return resolved;
}

interface SetRule {
  name: string;
  field: string;
  channels: number[];
  minShare: number;
  maxShare: number;
  min: number;
  max: number;
  lowerRule: string;
  upperRule: string;
}

function channelSet(
  v: unknown,
  field: string,
  byName: Map<string, number>,
  paidNames: string[],
): number[] {
  if (!Array.isArray(v) || v.length === 0) fail(field, 'expected a non-empty list of channels');
  const seen = new Set<number>();
  v.forEach((name, i) => {
    const at = typeof name === 'string' ? byName.get(name) : undefined;
    if (at === undefined) {
      fail(
        `${field}[${i}]`,
        `the model has no paid channel ${JSON.stringify(name)} (paid channels: ${paidNames.join(', ')})`,
      );
    }
    if (seen.has(at)) fail(`${field}[${i}]`, `channel '${name}' is listed twice`);
    seen.add(at);
  });
  return [...seen].sort((a, b) => a - b);
}

/** Check a scenario against the model, resolve every default once, build the rule tree. */
export function resolveScenario(
  model: MediaMixModel,
  scenario: AllocationScenario,
  options: AllocationOptions = {},
): ResolvedScenario {
  const s = checkFields(scenario, '', SCENARIO_FIELDS) as unknown as AllocationScenario;
  const paid = model.channels
    .map((c, index) => ({ c, index }))
    .filter(({ c }) => c.kind === 'paid');
  if (paid.length === 0) fail('model.channels', 'the model has no paid channel to allocate');
  const paidNames = paid.map(({ c }) => c.name);
  const byName = new Map(paid.map(({ c }, i) => [c.name, i]));

  if (typeof s.periods !== 'number' || !Number.isInteger(s.periods) || s.periods < 1) {
    fail('periods', `expected an integer >= 1, got ${JSON.stringify(s.periods) ?? 'nothing'}`);
  }
  const objective = oneOf(
    s.objective,
    'objective',
    ['response', 'roi', 'target-roas', 'target-cpa'] as const,
    'response',
  );
  const kpiType = model.kpi.type;
  if (objective === 'target-roas' && kpiType !== 'revenue') {
    fail(
      'objective',
      `target-roas needs a revenue KPI; the model's KPI is ${kpiType} (use target-cpa)`,
    );
  }
  if (objective === 'target-cpa' && kpiType !== 'conversions') {
    fail(
      'objective',
      `target-cpa needs a conversions KPI; the model's KPI is ${kpiType} (use target-roas)`,
    );
  }
  let target: number | null = null;
  if (objective === 'target-roas' || objective === 'target-cpa') {
    const t = amount(s.target, 'target');
    if (t === undefined || !(t > 0)) fail('target', `${objective} needs a target > 0`);
    target = t;
  } else if (s.target !== undefined) {
    fail('target', `only the target-roas and target-cpa objectives take a target`);
  }
  const targetOn = oneOf(s.targetOn, 'targetOn', ['total', 'marginal'] as const, 'total');
  const budgetMode = oneOf(s.budgetMode, 'budgetMode', ['equal', 'ceiling'] as const, 'equal');
  const carryover = oneOf(
    s.carryover,
    'carryover',
    ['horizon', 'steady-state', 'historical-mean'] as const,
    'horizon',
  );

  if (s.channels !== undefined && !isRecord(s.channels)) fail('channels', 'expected an object');
  for (const name of Object.keys(s.channels ?? {})) {
    if (!byName.has(name)) {
      const organic = model.channels.some((c) => c.name === name);
      fail(
        `channels.${name}`,
        organic
          ? `'${name}' is an organic channel (no spend to allocate)`
          : `the model has no paid channel '${name}' (paid channels: ${paidNames.join(', ')})`,
      );
    }
  }
  const channels = paid.map(({ c, index }) => {
    const own = s.channels?.[c.name];
    return own !== undefined
      ? resolveChannel(model, index, own, `channels.${c.name}`)
      : resolveChannel(model, index, s.defaultChannelRule, 'defaultChannelRule');
  });

  const current = channels.reduce((a, c) => a + c.current, 0);
  const budget = amount(s.budget, 'budget') ?? current * s.periods;

  const sets: SetRule[] = [];
  if (s.groups !== undefined && !Array.isArray(s.groups)) fail('groups', 'expected a list');
  const groupNames = new Set<string>();
  (s.groups ?? []).forEach((g, i) => {
    const field = `groups[${i}]`;
    const r = checkFields(g, field, GROUP_FIELDS);
    if (typeof r.name !== 'string' || r.name === '') fail(`${field}.name`, 'expected a name');
    if (groupNames.has(r.name)) fail(`${field}.name`, `group '${r.name}' is defined twice`);
    groupNames.add(r.name);
    const id = `groups[${r.name}]`;
    const minShare = share(r.minShare, `${id}.minShare`) ?? 0;
    const maxShare = share(r.maxShare, `${id}.maxShare`) ?? 1;
    const min = amount(r.min, `${id}.min`) ?? 0;
    const max = amount(r.max, `${id}.max`) ?? Infinity;
    if (minShare > maxShare) {
      throw new InfeasibleAllocationError(
        [`${id}.minShare`, `${id}.maxShare`],
        `group '${r.name}' needs at least ${minShare} and at most ${maxShare} of the spend`,
      );
    }
    if (min > max) {
      throw new InfeasibleAllocationError(
        [`${id}.min`, `${id}.max`],
        `group '${r.name}' needs at least ${money(min)} and at most ${money(max)} per period`,
      );
    }
    sets.push({
      name: r.name,
      field: id,
      channels: channelSet(r.channels, `${id}.channels`, byName, paidNames),
      minShare,
      maxShare,
      min,
      max,
      lowerRule: r.min !== undefined ? `${id}.min` : `${id}.minShare`,
      // Without a max of its own a group is bounded only by the total: the budget.
      upperRule:
        r.max !== undefined ? `${id}.max` : r.maxShare !== undefined ? `${id}.maxShare` : 'budget',
    });
  });
  if (s.shareOfVoice !== undefined && !Array.isArray(s.shareOfVoice)) {
    fail('shareOfVoice', 'expected a list');
  }
  (s.shareOfVoice ?? []).forEach((v, i) => {
    const r = checkFields(v, `shareOfVoice[${i}]`, SOV_FIELDS);
    if (r.name !== undefined && (typeof r.name !== 'string' || r.name === '')) {
      fail(`shareOfVoice[${i}].name`, 'expected a name');
    }
    const id = `shareOfVoice[${(r.name as string | undefined) ?? i}]`;
    const competitorSpend = amount(r.competitorSpend, `${id}.competitorSpend`);
    if (competitorSpend === undefined) fail(`${id}.competitorSpend`, 'is required');
    const minShare = share(r.minShare, `${id}.minShare`, true);
    if (minShare === undefined) fail(`${id}.minShare`, 'is required');
    sets.push({
      name: id,
      field: id,
      channels: channelSet(r.channels, `${id}.channels`, byName, paidNames),
      minShare: 0,
      maxShare: 1,
      min: (minShare / (1 - minShare)) * competitorSpend,
      max: Infinity,
      lowerRule: id,
      upperRule: id,
    });
  });

  const gridSteps = options.gridSteps ?? 1000;
  if (!Number.isInteger(gridSteps) || gridSteps < 20 || gridSteps > 1_000_000) {
    fail('gridSteps', `expected an integer between 20 and 1000000, got ${gridSteps}`);
  }
  const intervalLevel = options.intervalLevel ?? 0.9;
  if (!(intervalLevel > 0 && intervalLevel < 1)) {
    fail('intervalLevel', `expected a probability in (0, 1), got ${intervalLevel}`);
  }
  const draws = options.draws ?? [];
  draws.forEach((draw, d) => {
    for (const c of channels) {
      const same = draw.channels.find((x) => x.name === c.name);
      if (!same || same.kind !== 'paid') {
        fail(
          `draws[${d}]`,
          `has no paid channel '${c.name}' (draws must share the model's channels)`,
        );
      }
    }
  });

  return {
    model,
    kpiType,
    periods: s.periods,
    budget,
    budgetPerPeriod: budget / s.periods,
    budgetMode,
    objective,
    target,
    targetOn,
    carryover,
    channels,
    nodes: ruleTree(paidNames, sets),
    gridSteps,
    draws,
    intervalLevel,
  };
}

/**
 * Arrange the set rules into a tree under the root (every channel). Rules on the same set
 * merge (the tightest bound wins); sets must be disjoint or nested: with crossing sets the
 * budget could not be split node by node, and the solvers rely on that.
 */
function ruleTree(names: string[], sets: SetRule[]): RuleNode[] {
  const channelCount = names.length;
  const all = Array.from({ length: channelCount }, (_, i) => i);
  const key = (c: number[]) => c.join(',');
  const root: RuleNode = {
    rules: ['budget'],
    channels: all,
    leaves: [],
    children: [],
    minShare: 0,
    maxShare: 1,
    min: 0,
    max: Infinity,
    lowerRule: 'budget',
    upperRule: 'budget',
  };
  const byKey = new Map<string, RuleNode>([[key(all), root]]);
  for (const set of sets) {
    let node = byKey.get(key(set.channels));
    if (!node) {
      node = {
        rules: [],
        channels: set.channels,
        leaves: [],
        children: [],
        minShare: 0,
        maxShare: 1,
        min: 0,
        max: Infinity,
        lowerRule: set.lowerRule,
        upperRule: set.upperRule,
      };
      byKey.set(key(set.channels), node);
    }
    node.rules.push(set.field);
    if (set.minShare > node.minShare || set.min > node.min) node.lowerRule = set.lowerRule;
    if (set.maxShare < node.maxShare || set.max < node.max) node.upperRule = set.upperRule;
    node.minShare = Math.max(node.minShare, set.minShare);
    node.maxShare = Math.min(node.maxShare, set.maxShare);
    node.min = Math.max(node.min, set.min);
    node.max = Math.min(node.max, set.max);
  }
  for (const node of byKey.values()) {
    if (node.minShare > node.maxShare || node.min > node.max) {
      throw new InfeasibleAllocationError(
        [node.lowerRule, node.upperRule],
        `the same channels need at least ${node.minShare > node.maxShare ? node.minShare : money(node.min)} and at most ${node.minShare > node.maxShare ? node.maxShare : money(node.max)}`,
      );
    }
  }
  // Parents before children: larger sets first; each set's parent is the smallest set that
  // contains it.
  const nodes = [...byKey.values()].sort((a, b) => b.channels.length - a.channels.length);
  if (nodes[0] !== root) {
    nodes.splice(nodes.indexOf(root), 1);
    nodes.unshift(root);
  }
  for (let k = 1; k < nodes.length; k++) {
    let parent = 0;
    for (let p = 1; p < k; p++) {
      const outer = new Set(nodes[p].channels);
      const inside = nodes[k].channels.filter((c) => outer.has(c)).length;
      if (inside === 0) continue;
      if (inside < nodes[k].channels.length) {
        const shared = nodes[k].channels.filter((c) => outer.has(c));
        throw new AllocationScenarioError(
          nodes[k].rules[0],
          `its channels cross those of ${nodes[p].rules[0]} (both have ${shared.map((c) => names[c]).join(', ')}, neither has all of the other's); group and share-of-voice channel sets must be disjoint or nested`,
        );
      }
      if (nodes[p].channels.length < (parent === 0 ? Infinity : nodes[parent].channels.length)) {
        parent = p;
      }
    }
    nodes[parent].children.push(k);
  }
  // Direct leaves: channels whose smallest containing set is the node.
  const innermost = new Int32Array(channelCount).fill(0);
  for (let k = 1; k < nodes.length; k++) for (const c of nodes[k].channels) innermost[c] = k;
  for (let c = 0; c < channelCount; c++) nodes[innermost[c]].leaves.push(c);
  return nodes;
}

/** A node's bounds on its total spend per period when the whole allocation spends `total`. */
export function nodeBounds(node: RuleNode, total: number, isRoot: boolean): [number, number] {
  if (isRoot) return [Math.max(total, node.min), Math.min(total, node.max)];
  return [Math.max(node.min, node.minShare * total), Math.min(node.max, node.maxShare * total)];
}
