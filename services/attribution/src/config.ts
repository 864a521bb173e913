import { loadConfig } from '@mmm/platform';

/** Attribution reads only the platform's variables so far; a wrong one stops it with one line. */
export function attributionConfig() {
  const env = loadConfig();
  return { ...env, PORT: env.PORT ?? 4004, SERVICE_NAME: env.SERVICE_NAME ?? 'attribution' };
}
export type AttributionConfig = ReturnType<typeof attributionConfig>;
