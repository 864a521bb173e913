import { loadConfig, milliseconds, parseConfig } from '@mmm/platform';
import { z } from 'zod';

// The only module of reporting that reads the environment: the platform's variables (NATS_URL,
// PORT, LOG_LEVEL, SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, DEFAULT_WORKSPACE, NATS_REPLICAS,
// SHUTDOWN_TIMEOUT_MS, SHUTDOWN_READY_GRACE_MS) and its own below.

/** Its name in logs, metrics and the supergraph (SERVICE_NAME overrides it in logs). */
export const SERVICE_NAME = 'reporting';
/** Its port of the local port plan (PORT overrides it). */
export const DEFAULT_PORT = 4005;

const URL_EXPECTED = 'must be an http(s) URL such as http://127.0.0.1:4000/graphql';
const httpUrl = z
  .string()
  .url(URL_EXPECTED)
  .regex(/^https?:\/\/[^/\s]+/, URL_EXPECTED);

const variables = {
  /**
   * The gateway's GraphQL endpoint: the dashboard's queries go there (through this service, so
   * the page is same-origin), and so do the reads of attribution runs.
   */
  GATEWAY_URL: httpUrl.default('http://127.0.0.1:4000/graphql'),
  /**
   * Base URL of this service as callers reach it, for report links (e.g.
   * https://reports.example.com). Default: the Host the request came to, which is right locally.
   */
  REPORTING_PUBLIC_URL: httpUrl.optional(),
  /**
   * Key of the signed report links (16+ characters; shared by every replica). Default: a random
   * key per process, so links last until it restarts and hold on that replica only.
   */
  REPORT_LINK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** How long a report link stays valid. */
  REPORT_LINK_TTL_MS: milliseconds(24 * 3600_000),
  /** The headless browser that prints PDFs (Debian's chromium). */
  CHROMIUM_PATH: z.string().min(1, 'must be a file path').default('/usr/bin/chromium'),
  /** A report that takes longer to render fails. */
  REPORT_RENDER_TIMEOUT_MS: milliseconds(120_000),
};

/** Parses the environment once; a wrong variable stops the process with one line. */
export function readConfig() {
  return loadConfig(variables);
}

/** The same rules on a given environment, throwing instead of exiting (tests). */
export function parseReportingConfig(env: Record<string, string | undefined>) {
  return parseConfig(env, variables);
}

export type ReportingConfig = ReturnType<typeof readConfig>;
