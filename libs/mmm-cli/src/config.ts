// The one module of the command that reads the environment.

/** Variables `mmm` reads: MMM_TOKEN, the bearer token `mmm request` sends to the gateway. */
export function cliEnvironment(): Readonly<Record<string, string | undefined>> {
  return { MMM_TOKEN: process.env.MMM_TOKEN };
}
