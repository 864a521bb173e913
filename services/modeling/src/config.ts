import { loadConfig } from '@mmm/platform';

/** Modeling reads only the platform's variables so far; a wrong one stops it with one line. */
export function modelingConfig() {
  const env = loadConfig();
  return { ...env, PORT: env.PORT ?? 4002, SERVICE_NAME: env.SERVICE_NAME ?? 'modeling' };
}
export type ModelingConfig = ReturnType<typeof modelingConfig>;
