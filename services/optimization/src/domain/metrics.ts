import { Counter, Histogram, type Registry } from '@mmm/platform';

/** What the optimization subgraph measures (served on its /metrics). */
export function optimizationMetrics(registry: Registry) {
  return {
    solveDuration: new Histogram({
      name: 'optimization_solve_duration_seconds',
      help: 'Time to solve a scenario (allocation and frontier), by objective and method.',
      labelNames: ['objective', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    scenarios: new Counter({
      name: 'optimization_scenarios_total',
      help: 'Scenarios asked for, by origin (api, promotion) and outcome (stored, existing, invalid).',
      labelNames: ['origin', 'outcome'],
      registers: [registry],
    }),
  };
}

export type OptimizationMetrics = ReturnType<typeof optimizationMetrics>;
