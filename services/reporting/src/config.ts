import { loadConfig } from '@mmm/platform';

/** Reporting reads only the platform's variables so far; a wrong one stops it with one line. */
export function reportingConfig() {
  const env = loadConfig();
  return { ...env, PORT: env.PORT ?? 4005, SERVICE_NAME: env.SERVICE_NAME ?? 'reporting' };
}
export type ReportingConfig = ReturnType<typeof reportingConfig>;
