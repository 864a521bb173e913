import type {
  AllocationObjective,
  AllocationScenario,
  CarryoverMode,
  ChannelRule,
  GroupRule,
  ShareOfVoiceRule,
} from '@mmm/core';
import { ValidationError, type ValidationIssue } from '@mmm/platform';

// The GraphQL ScenarioInput, and its translation into the engine's AllocationScenario. The
// engine checks every field and names a wrong one by its own path (`channels.tv.maxMultiple`,
// `groups[digital].minShare`); `inputPath` turns such a path back into the path of the field
// the caller sent (`scenario.channels[0].maxMultiple`, `scenario.groups[1].minShare`).

export type ObjectiveInput = 'RESPONSE' | 'ROI' | 'TARGET_ROAS' | 'TARGET_CPA';
export type TargetOnInput = 'TOTAL' | 'MARGINAL';
export type BudgetModeInput = 'EQUAL' | 'CEILING';
export type CarryoverInput = 'HORIZON' | 'STEADY_STATE' | 'HISTORICAL_MEAN';

type Maybe<T> = T | null | undefined;

export interface ChannelRuleInput {
  channel: string;
  min?: Maybe<number>;
  max?: Maybe<number>;
  minMultiple?: Maybe<number>;
  maxMultiple?: Maybe<number>;
  locked?: Maybe<boolean>;
  lockedAt?: Maybe<number>;
}

export interface DefaultChannelRuleInput {
  min?: Maybe<number>;
  max?: Maybe<number>;
  minMultiple?: Maybe<number>;
  maxMultiple?: Maybe<number>;
}

export interface GroupRuleInput {
  name: string;
  channels: string[];
  minShare?: Maybe<number>;
  maxShare?: Maybe<number>;
  min?: Maybe<number>;
  max?: Maybe<number>;
}

export interface ShareOfVoiceInput {
  name?: Maybe<string>;
  channels: string[];
  competitorSpend: number;
  minShare: number;
}

export interface FrontierInput {
  from: number;
  to: number;
  steps: number;
}

/** ScenarioInput as GraphQL hands it over (absent fields may be null). */
export interface ScenarioInput {
  name?: Maybe<string>;
  periods: number;
  budget?: Maybe<number>;
  objective?: Maybe<ObjectiveInput>;
  target?: Maybe<number>;
  targetOn?: Maybe<TargetOnInput>;
  budgetMode?: Maybe<BudgetModeInput>;
  channels?: Maybe<ChannelRuleInput[]>;
  defaultChannelRule?: Maybe<DefaultChannelRuleInput>;
  groups?: Maybe<GroupRuleInput[]>;
  shareOfVoice?: Maybe<ShareOfVoiceInput[]>;
  carryover?: Maybe<CarryoverInput>;
  frontier?: Maybe<FrontierInput>;
}

/** What to solve: the engine's scenario, the frontier's budgets when asked, the name. */
export interface ScenarioRequest {
  name: string | null;
  scenario: AllocationScenario;
  /** Budgets over the horizon, evenly spaced; null when no frontier was asked for. */
  frontier: number[] | null;
  /** Maps an engine field or rule name to the caller's field path (null: not a field). */
  inputPath(engineField: string): string | null;
}

export const MAX_PERIODS = 1000;
export const MAX_FRONTIER_STEPS = 100;
export const MAX_NAME_LENGTH = 200;

const OBJECTIVES: Record<ObjectiveInput, AllocationObjective> = {
  RESPONSE: 'response',
  ROI: 'roi',
  TARGET_ROAS: 'target-roas',
  TARGET_CPA: 'target-cpa',
};
const CARRYOVER: Record<CarryoverInput, CarryoverMode> = {
  HORIZON: 'horizon',
  STEADY_STATE: 'steady-state',
  HISTORICAL_MEAN: 'historical-mean',
};

/** GraphQL's enum values for the engine's. */
export const OBJECTIVE_ENUM = Object.fromEntries(
  Object.entries(OBJECTIVES).map(([k, v]) => [v, k]),
) as Record<AllocationObjective, ObjectiveInput>;
export const CARRYOVER_ENUM = Object.fromEntries(
  Object.entries(CARRYOVER).map(([k, v]) => [v, k]),
) as Record<CarryoverMode, CarryoverInput>;

const given = <T>(v: Maybe<T>): T | undefined => (v === null ? undefined : v);

/** Drops absent fields, so that the engine's defaults apply and the stored input stays small. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function bounds(rule: DefaultChannelRuleInput): ChannelRule {
  return compact({
    min: given(rule.min),
    max: given(rule.max),
    minMultiple: given(rule.minMultiple),
    maxMultiple: given(rule.maxMultiple),
  });
}

/**
 * Checks what the engine cannot see in its own scenario (a channel given two rules, the
 * frontier's range, the horizon's size, a lock given two ways) and translates the rest; the
 * engine checks every amount, channel and rule when it solves.
 */
export function scenarioRequest(input: ScenarioInput, prefix = 'scenario'): ScenarioRequest {
  const issues: ValidationIssue[] = [];
  const problem = (field: string, message: string) =>
    issues.push({ field: `${prefix}.${field}`, message: `${prefix}.${field}: ${message}` });

  if (!Number.isInteger(input.periods) || input.periods < 1 || input.periods > MAX_PERIODS) {
    problem('periods', `expected an integer from 1 to ${MAX_PERIODS}, got ${input.periods}`);
  }
  const name = given(input.name) ?? null;
  if (name !== null && (name.trim() === '' || name.length > MAX_NAME_LENGTH)) {
    problem('name', `expected 1 to ${MAX_NAME_LENGTH} characters`);
  }

  const channelIndex = new Map<string, number>();
  const channels: Record<string, ChannelRule> = {};
  const lockedAtGiven = new Set<string>();
  (input.channels ?? []).forEach((rule, i) => {
    if (channelIndex.has(rule.channel)) {
      problem(`channels[${i}].channel`, `channel '${rule.channel}' has a rule already`);
      return;
    }
    channelIndex.set(rule.channel, i);
    const lockedAt = given(rule.lockedAt);
    if (lockedAt !== undefined && rule.locked === false) {
      problem(`channels[${i}].lockedAt`, 'contradicts locked: false');
    }
    if (lockedAt !== undefined) lockedAtGiven.add(rule.channel);
    channels[rule.channel] = compact({
      ...bounds(rule),
      locked: lockedAt ?? (rule.locked ? true : undefined),
    });
  });

  const groupIndex = new Map<string, number>();
  const groups = (input.groups ?? []).map((g, i): GroupRule => {
    if (!groupIndex.has(g.name)) groupIndex.set(g.name, i);
    return compact({
      name: g.name,
      channels: g.channels,
      minShare: given(g.minShare),
      maxShare: given(g.maxShare),
      min: given(g.min),
      max: given(g.max),
    });
  });
  const voiceIndex = new Map<string, number>();
  const shareOfVoice = (input.shareOfVoice ?? []).map((v, i): ShareOfVoiceRule => {
    const voiceName = given(v.name);
    if (voiceName !== undefined && !voiceIndex.has(voiceName)) voiceIndex.set(voiceName, i);
    return compact({
      name: voiceName,
      channels: v.channels,
      competitorSpend: v.competitorSpend,
      minShare: v.minShare,
    });
  });

  let frontier: number[] | null = null;
  const f = given(input.frontier);
  if (f) {
    const finite = (v: number, field: string) => {
      const ok = Number.isFinite(v) && v >= 0;
      if (!ok) problem(`frontier.${field}`, `must be a finite number >= 0, got ${v}`);
      return ok;
    };
    const okFrom = finite(f.from, 'from');
    const okTo = finite(f.to, 'to');
    if (okFrom && okTo && !(f.to > f.from)) {
      problem('frontier.to', `must be above frontier.from (${f.from}), got ${f.to}`);
    }
    if (!Number.isInteger(f.steps) || f.steps < 2 || f.steps > MAX_FRONTIER_STEPS) {
      problem('frontier.steps', `expected an integer from 2 to ${MAX_FRONTIER_STEPS}`);
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  if (f) {
    frontier = Array.from(
      { length: f.steps },
      (_, i) => f.from + ((f.to - f.from) * i) / (f.steps - 1),
    );
  }

  const scenario: AllocationScenario = compact({
    periods: input.periods,
    budget: given(input.budget),
    objective: input.objective ? OBJECTIVES[input.objective] : undefined,
    target: given(input.target),
    targetOn: input.targetOn ? (input.targetOn === 'MARGINAL' ? 'marginal' : 'total') : undefined,
    budgetMode: input.budgetMode
      ? input.budgetMode === 'CEILING'
        ? 'ceiling'
        : 'equal'
      : undefined,
    channels: input.channels?.length ? channels : undefined,
    defaultChannelRule: input.defaultChannelRule ? bounds(input.defaultChannelRule) : undefined,
    groups: groups.length ? groups : undefined,
    shareOfVoice: shareOfVoice.length ? shareOfVoice : undefined,
    carryover: input.carryover ? CARRYOVER[input.carryover] : undefined,
  });

  const inputPath = (field: string): string | null => {
    const at = (rest: string) => `${prefix}.${rest}`;
    if (/^(periods|budget|objective|target|targetOn|budgetMode|carryover)$/.test(field)) {
      return at(field);
    }
    if (field.startsWith('defaultChannelRule')) return at(field);
    if (field === 'budgets' || field.startsWith('budgets[')) return at('frontier');
    // Channel names may hold dots: match the names the caller gave, longest first.
    if (field.startsWith('channels.')) {
      const rest = field.slice('channels.'.length);
      const names = [...channelIndex.keys()].sort((a, b) => b.length - a.length);
      for (const channel of names) {
        const i = channelIndex.get(channel) as number;
        if (rest === channel) return at(`channels[${i}].channel`);
        if (rest.startsWith(`${channel}.`)) {
          let leaf = rest.slice(channel.length + 1);
          if (leaf === 'locked' && lockedAtGiven.has(channel)) leaf = 'lockedAt';
          return at(`channels[${i}].${leaf}`);
        }
      }
      return at('channels');
    }
    const set = /^(groups|shareOfVoice)\[(.*?)\](.*)$/.exec(field);
    if (set) {
      const [, kind, key, rest] = set;
      const byName = kind === 'groups' ? groupIndex : voiceIndex;
      const i = byName.get(key) ?? (/^\d+$/.test(key) ? Number(key) : undefined);
      if (i === undefined) return at(kind);
      // A share-of-voice rule is one bound: its name stands for its floor.
      const leaf = rest === '' && kind === 'shareOfVoice' ? '.minShare' : rest;
      return at(`${kind}[${i}]${leaf}`);
    }
    return null;
  };

  return { name, scenario, frontier, inputPath };
}
