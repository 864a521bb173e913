import type { WorkspaceStorage } from '../storage';

// A budget scenario as other services read it (reporting puts its allocation in the executive
// report): the optimization service's KV record (bucket mmm_scenarios, kind 'scenario'). The
// allocation restates the fields of @mmm/core's AllocationResult that readers use, so that the
// engine's result is assignable to it as it is.

export const SCENARIO_KIND = 'scenario';

/** A figure under the main model, with quantiles over the model's draws when it has them. */
export interface StoredEstimate {
  estimate: number;
  lower: number | null;
  upper: number | null;
}

export interface StoredChannelAllocation {
  channel: string;
  /** Spend per period: the model's current mean, and the recommendation. */
  current: number;
  recommended: number;
  /** recommended / current - 1 (null when current is 0). */
  change: number | null;
  lower: number;
  upper: number | null;
  /** Incremental KPI over the horizon at current and recommended spend. */
  response: { current: number; recommended: number };
  roas: number | null;
  cpa: number | null;
  marginalRoas: number;
  bound: 'lower' | 'upper' | 'locked' | null;
  beyondHistory: boolean;
}

export interface StoredAllocation {
  objective: 'response' | 'roi' | 'target-roas' | 'target-cpa';
  target: number | null;
  periods: number;
  kpi: { name: string; type: 'revenue' | 'conversions' };
  /** 'kkt' (exact on concave curves) or 'grid-dp+kkt' (global on S-shaped ones). */
  method: string;
  status: string;
  budget: number;
  spend: { current: number; recommended: number };
  channels: StoredChannelAllocation[];
  response: { current: StoredEstimate; recommended: StoredEstimate; lift: StoredEstimate };
  expectedKpi: { current: StoredEstimate; recommended: StoredEstimate; lift: StoredEstimate };
  roas: { current: number | null; recommended: number | null };
  marginalRoas: number | null;
  binding: Array<{
    rule: string;
    kind: string;
    channels: string[];
    spend: number;
    shadowPrice: number | null;
  }>;
  notes: string[];
}

export interface StoredScenario {
  schemaVersion: 1;
  id: string;
  workspaceId: string;
  modelId: string;
  datasetId: string;
  name: string | null;
  createdAt: string;
  /** 'api', 'promotion' (the default scenario of a production model), 'schedule'. */
  origin: string;
  /** The scenario as given (objective, budget, periods, rules), JSON. */
  input: Record<string, unknown>;
  allocation: StoredAllocation;
  /** Optimal response for a range of budgets, when asked for. */
  frontier: Array<{ budget: number; response: number; lift: number }> | null;
}

/** A scenario of a workspace, or null when there is none with that id. */
export async function readScenario(
  storage: Pick<WorkspaceStorage, 'kv'>,
  id: string,
): Promise<StoredScenario | null> {
  const value = await storage.kv.scenarios.get<StoredScenario>(SCENARIO_KIND, id);
  if (value === null) return null;
  if (value.schemaVersion !== 1 || typeof value.allocation !== 'object' || !value.allocation) {
    throw new Error(`stored scenario ${id} is not a scenario record (schemaVersion 1)`);
  }
  return value;
}
