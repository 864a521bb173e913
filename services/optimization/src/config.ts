import { loadConfig } from '@mmm/platform';

/** Optimization reads only the platform's variables so far; a wrong one stops it with one line. */
export function optimizationConfig() {
  const env = loadConfig();
  return { ...env, PORT: env.PORT ?? 4003, SERVICE_NAME: env.SERVICE_NAME ?? 'optimization' };
}
export type OptimizationConfig = ReturnType<typeof optimizationConfig>;
