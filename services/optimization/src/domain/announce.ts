import type { AllocationObjective } from '@mmm/core';
import type { EventInit } from '@mmm/platform';
import type { ScenarioRecord } from './scenarios';

// The optimization.completed event of a stored scenario (proto OptimizationCompleted).

const OBJECTIVE_NAMES: Record<AllocationObjective, string> = {
  response: 'maximize_response',
  roi: 'maximize_roi',
  'target-roas': 'target_roas',
  'target-cpa': 'target_cpa',
};

/** Stored as null when not finite; the event has no null, so 0 stands for it. */
const num = (v: number | null | undefined) => (typeof v === 'number' ? v : 0);

export function completedEvent(
  record: ScenarioRecord,
  requestId?: string,
): EventInit<'optimization.completed'> {
  const a = record.allocation;
  return {
    workspaceId: record.workspaceId,
    scenarioId: record.id,
    requestId: requestId ?? '',
    modelId: record.modelId,
    objective: OBJECTIVE_NAMES[a.objective],
    totalBudget: num(a.budget),
    expectedResponse: num(a.response.recommended.estimate),
    expectedRoas: num(a.roas.recommended),
    allocations: a.channels.map((c) => ({
      channel: c.channel,
      currentSpend: num(c.current),
      optimalSpend: num(c.recommended),
      expectedResponse: num(c.response.recommended),
      marginalRoas: num(c.marginalRoas),
      currentResponse: num(c.response.current),
    })),
    datasetId: record.datasetId,
    scenarioName: record.name ?? '',
    origin: record.origin,
    method: a.method,
    status: a.status,
    periods: a.periods,
    currentResponse: num(a.response.current.estimate),
    expectedLift: num(a.response.lift.estimate),
    recommendedSpend: num(a.spend.recommended),
  };
}

/** Nats-Msg-Id of a scenario's event: one event per scenario, however often it is sent. */
export function completedEventId(record: Pick<ScenarioRecord, 'workspaceId' | 'id'>): string {
  return `optimization.completed:${record.workspaceId}:${record.id}`;
}
