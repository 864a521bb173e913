// Solved budget scenarios as stored in KV (bucket mmm_scenarios, kind 'scenario'), keyed
// `<workspace>.scenario.<id>`. The allocator will write them; until it exists there are none.

export const SCENARIO_KIND = 'scenario';

export type AllocationObjective = 'MAX_RESPONSE' | 'MAX_ROI' | 'TARGET_ROAS' | 'TARGET_CPA';

export interface ChannelAllocation {
  channel: string;
  spend: number;
  response: number;
  roas: number | null;
}

export interface ScenarioRecord {
  id: string;
  modelId: string;
  objective: AllocationObjective;
  totalBudget: number;
  expectedResponse: number;
  allocations: ChannelAllocation[];
  /** ISO-8601. */
  createdAt: string;
}

export interface ScenarioBook {
  /** Scenarios solved on a model, newest first. */
  forModel(modelId: string): Promise<ScenarioRecord[]>;
}

/** `listScenarios`: every scenario of the workspace, from memory (a KV index). */
export function createScenarioBook(
  listScenarios: () => Promise<Array<{ id: string; value: ScenarioRecord }>>,
): ScenarioBook {
  return {
    async forModel(modelId) {
      const all = await listScenarios();
      return all
        .map((entry) => entry.value)
        .filter((scenario) => scenario.modelId === modelId)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },
  };
}
