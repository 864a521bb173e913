import { CARRYOVER_ENUM, OBJECTIVE_ENUM } from './scenario-input';
import type { ScenarioRecord } from './scenarios';

// A stored scenario as the GraphQL Scenario type shows it: enums in GraphQL's spelling, each
// channel's efficiency in the measure of the model's KPI (ROAS for revenue, CPA for
// conversions), the frontier's ROAS.

const enumOf = (value: string) => value.toUpperCase().replace(/-/g, '_');

export function scenarioView(record: ScenarioRecord) {
  const a = record.allocation;
  const conversions = a.kpi.type === 'conversions';
  return {
    id: record.id,
    name: record.name,
    modelId: record.modelId,
    model: { __typename: 'Model', id: record.modelId },
    datasetId: record.datasetId || null,
    origin: enumOf(record.origin),
    createdAt: record.createdAt,
    objective: OBJECTIVE_ENUM[a.objective],
    target: a.target,
    targetOn: enumOf(a.targetOn ?? 'total'),
    carryover: CARRYOVER_ENUM[a.carryover ?? 'horizon'],
    periods: a.periods,
    kpiName: a.kpi.name,
    kpiType: enumOf(a.kpi.type),
    method: a.method,
    status: enumOf(a.status),
    budget: a.budget,
    spend: a.spend,
    channels: a.channels.map((c) => ({
      channel: c.channel,
      current: c.current,
      recommended: c.recommended,
      change: c.change,
      lower: c.lower,
      upper: c.upper,
      response: {
        current: c.response.current,
        recommended: c.response.recommended,
        lift: c.response.recommended - c.response.current,
      },
      roas: conversions ? null : c.roas,
      cpa: conversions ? c.cpa : null,
      marginalRoas: c.marginalRoas,
      bound: c.bound ? enumOf(c.bound) : null,
      beyondHistory: c.beyondHistory,
    })),
    response: a.response,
    expectedKpi: a.expectedKpi,
    currentRoas: a.roas.current,
    recommendedRoas: a.roas.recommended,
    marginalRoas: a.marginalRoas,
    binding: a.binding.map((b) => ({ ...b, kind: enumOf(b.kind) })),
    notes: a.notes,
    frontier:
      record.frontier?.map((p) => ({ ...p, roas: p.budget > 0 ? p.response / p.budget : null })) ??
      null,
    input: JSON.stringify(record.input),
  };
}

export type ScenarioView = ReturnType<typeof scenarioView>;
