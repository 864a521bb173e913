import path from 'node:path';
import { z } from 'zod';

// The only module of @mmm/platform that reads process.env: every setting is
// parsed here once, at start, and passed on typed.

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const port = z.coerce
  .number({ invalid_type_error: 'must be an integer 1-65535' })
  .int('must be an integer 1-65535')
  .min(1, 'must be an integer 1-65535')
  .max(65535, 'must be an integer 1-65535');

const OTLP_EXPECTED = 'must be an http(s) URL such as http://127.0.0.1:4318';

/**
 * A duration variable in milliseconds with its default, for the variables services add
 * (`loadConfig({ RELAY_INTERVAL_MS: milliseconds(30_000) })`).
 */
export function milliseconds(defaultMs: number, options: { allowZero?: boolean } = {}) {
  const expected = options.allowZero
    ? 'must be an integer of 0 or more (milliseconds)'
    : 'must be a positive integer (milliseconds)';
  return z.coerce
    .number({ invalid_type_error: expected })
    .int(expected)
    .min(options.allowZero ? 0 : 1, expected)
    .default(defaultMs);
}

/** An integer variable within [min, max] with its default. */
export function integerBetween(min: number, max: number, fallback: number) {
  const expected = `must be an integer from ${min} to ${max}`;
  return z.coerce
    .number({ invalid_type_error: expected })
    .int(expected)
    .min(min, expected)
    .max(max, expected)
    .default(fallback);
}

/** A variable that takes one of a few words, with its default. */
export function oneOf<T extends string>(values: readonly [T, ...T[]], fallback: T) {
  return z.enum(values).default(fallback);
}

/** Variables every service reads. Services extend this with their own fields. */
export const baseConfigSchema = z.object({
  NATS_URL: z
    .string()
    .regex(
      /^(nats|tls|ws|wss):\/\/[^\s,]+(,(nats|tls|ws|wss):\/\/[^\s,]+)*$/,
      'must be a nats:// URL (several separated by commas)',
    )
    .default('nats://127.0.0.1:4222'),
  PORT: port.optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  SERVICE_NAME: z.string().min(1, 'must not be empty').optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .url(OTLP_EXPECTED)
    // zod's url() takes any scheme ("collector:4318" parses): the exporter speaks http(s).
    .regex(/^https?:\/\/[^/\s]+/, OTLP_EXPECTED)
    .optional(),
  DEFAULT_WORKSPACE: z
    .string()
    .regex(/^[-_a-zA-Z0-9]{1,64}$/, 'must be 1-64 characters of [-_a-zA-Z0-9]')
    .default('default'),
  NATS_REPLICAS: z.coerce
    .number({ invalid_type_error: 'must be 1, 3 or 5' })
    .int('must be 1, 3 or 5')
    .refine((n) => n === 1 || n === 3 || n === 5, 'must be 1, 3 or 5')
    .default(1),
  // The HMAC key the gateway signs caller identities with; subgraphs refuse unsigned requests.
  GATEWAY_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  // How long the audit trail keeps its records (the MMM_AUDIT stream's max age).
  AUDIT_RETENTION_DAYS: integerBetween(1, 3650, 365),
  SHUTDOWN_TIMEOUT_MS: milliseconds(10_000),
  // How long /readyz answers 503 at shutdown before the listener closes (0 locally is fine).
  SHUTDOWN_READY_GRACE_MS: milliseconds(2_000, { allowZero: true }),
});

export type BaseConfig = z.infer<typeof baseConfigSchema>;

export interface ConfigProblem {
  variable: string;
  expected: string;
  received: string | undefined;
}

function describeProblem(p: ConfigProblem): string {
  return (
    `${p.variable} ${p.expected}, ` +
    (p.received === undefined ? 'but it is not set' : `got ${JSON.stringify(p.received)}`)
  );
}

/**
 * Wrong or missing variables; `message` is the one line printed before
 * exiting, naming every problem (separated by "; ") so one restart fixes all.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The first wrong variable. */
  readonly variable: string;
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]);
  constructor(variable: string, expected: string, received: string | undefined);
  constructor(first: ConfigProblem[] | string, expected?: string, received?: string | undefined) {
    const problems = Array.isArray(first)
      ? first
      : [{ variable: first, expected: expected ?? 'is invalid', received }];
    super(`config error: ${problems.map(describeProblem).join('; ')}`);
    this.problems = problems;
    this.variable = problems[0]?.variable ?? '(environment)';
  }
}

/** Lets a service add its own variables: `loadConfig({ MODEL_BUCKET: z.string() })`. */
export type ConfigExtension = z.ZodRawShape;
export type Config<E extends ConfigExtension = Record<never, never>> = BaseConfig &
  z.infer<z.ZodObject<E>>;

function schemaFor<E extends ConfigExtension>(extension?: E) {
  return extension ? baseConfigSchema.extend(extension) : baseConfigSchema;
}

function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  // An empty variable means "not set", as shells and compose files use it.
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  return cleaned;
}

function configErrorFrom(error: z.ZodError, cleaned: Record<string, string>): ConfigError {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const variable = String(issue.path[0] ?? '(environment)');
    // One problem per variable: zod may report several checks of one value.
    if (problems.some((p) => p.variable === variable)) continue;
    const expected =
      issue.code === 'invalid_type' && issue.received === 'undefined'
        ? 'is required'
        : issue.code === 'invalid_enum_value'
          ? `must be one of ${issue.options.join(', ')}`
          : issue.message.startsWith('Invalid')
            ? `is invalid (${issue.message})`
            : issue.message;
    problems.push({ variable, expected, received: cleaned[variable] });
  }
  return new ConfigError(problems);
}

/**
 * Parses an environment without side effects; throws a ConfigError naming
 * every wrong variable in one line.
 */
export function parseConfig<E extends ConfigExtension = Record<never, never>>(
  env: Record<string, string | undefined>,
  extension?: E,
): Config<E> {
  const cleaned = cleanEnv(env);
  const result = schemaFor(extension).safeParse(cleaned);
  if (result.success) return result.data as Config<E>;
  throw configErrorFrom(result.error, cleaned);
}

/** Prints the one-line message of a configuration failure and exits with status 1. */
function exitWithConfigError(error: unknown): never {
  const line = error instanceof ConfigError ? error.message : `config error: ${String(error)}`;
  process.stderr.write(line + '\n');
  process.exit(1);
}

// One parse per schema: the service's config module calls loadConfig once and
// exports the result; a repeated call (same extension) returns the same object.
const loaded = new Map<ConfigExtension | undefined, unknown>();

/**
 * Reads process.env; on wrong or missing values prints one line to stderr
 * naming them and exits with status 1.
 */
export function loadConfig<E extends ConfigExtension = Record<never, never>>(
  extension?: E,
): Config<E> {
  if (loaded.has(extension)) return loaded.get(extension) as Config<E>;
  try {
    const config = parseConfig(process.env, extension);
    loaded.set(extension, config);
    return config;
  } catch (error) {
    exitWithConfigError(error);
  }
}

const telemetrySchema = baseConfigSchema.pick({
  SERVICE_NAME: true,
  OTEL_EXPORTER_OTLP_ENDPOINT: true,
});

export interface TelemetryEnv {
  serviceName?: string;
  otlpEndpoint?: string;
}

/**
 * The two telemetry variables of an environment, checked by the same rules as
 * the full configuration; throws a ConfigError naming the wrong ones.
 */
export function parseTelemetryEnv(env: Record<string, string | undefined>): TelemetryEnv {
  const cleaned = cleanEnv(env);
  const result = telemetrySchema.safeParse(cleaned);
  if (!result.success) throw configErrorFrom(result.error, cleaned);
  return {
    serviceName: result.data.SERVICE_NAME,
    otlpEndpoint: result.data.OTEL_EXPORTER_OTLP_ENDPOINT,
  };
}

/**
 * Telemetry starts before the service's configuration is parsed (it must be
 * the first import), so it reads just its two variables here; a wrong one
 * stops the process with the same one line loadConfig prints.
 */
export function telemetryEnv(): TelemetryEnv {
  try {
    return parseTelemetryEnv(process.env);
  } catch (error) {
    exitWithConfigError(error);
  }
}

/** Directories of PATH, for tools that spawn binaries (the test harness's nats-server). */
export function executableSearchPath(): string[] {
  return (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
}
