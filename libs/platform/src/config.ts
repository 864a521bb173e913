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
    .url('must be an http(s) URL such as http://127.0.0.1:4318')
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
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number({ invalid_type_error: 'must be a positive integer (milliseconds)' })
    .int('must be a positive integer (milliseconds)')
    .positive('must be a positive integer (milliseconds)')
    .default(10_000),
});

export type BaseConfig = z.infer<typeof baseConfigSchema>;

/** A configuration problem; `message` is the one line printed before exiting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    readonly expected: string,
    readonly received: string | undefined,
  ) {
    super(
      `config error: ${variable} ${expected}, ` +
        (received === undefined ? 'but it is not set' : `got ${JSON.stringify(received)}`),
    );
  }
}

/** Lets a service add its own variables: `loadConfig({ MODEL_BUCKET: z.string() })`. */
export type ConfigExtension = z.ZodRawShape;
export type Config<E extends ConfigExtension = Record<never, never>> = BaseConfig &
  z.infer<z.ZodObject<E>>;

function schemaFor<E extends ConfigExtension>(extension?: E) {
  return extension ? baseConfigSchema.extend(extension) : baseConfigSchema;
}

/**
 * Parses an environment without side effects; throws a ConfigError naming the
 * first wrong variable (the one line a person needs to fix it).
 */
export function parseConfig<E extends ConfigExtension = Record<never, never>>(
  env: Record<string, string | undefined>,
  extension?: E,
): Config<E> {
  // An empty variable means "not set", as shells and compose files use it.
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const result = schemaFor(extension).safeParse(cleaned);
  if (result.success) return result.data as Config<E>;
  const issue = result.error.issues[0];
  const variable = String(issue.path[0] ?? '(environment)');
  const expected =
    issue.code === 'invalid_type' && issue.received === 'undefined'
      ? 'is required'
      : issue.code === 'invalid_enum_value'
        ? `must be one of ${issue.options.join(', ')}`
        : issue.message.startsWith('Invalid')
          ? `is invalid (${issue.message})`
          : issue.message;
  throw new ConfigError(variable, expected, cleaned[variable]);
}

let loaded: unknown;

/**
 * Reads process.env once; on a wrong or missing value prints one line to
 * stderr and exits with status 1. Later calls return the first result.
 */
export function loadConfig<E extends ConfigExtension = Record<never, never>>(
  extension?: E,
): Config<E> {
  if (loaded !== undefined) return loaded as Config<E>;
  try {
    loaded = parseConfig(process.env, extension);
    return loaded as Config<E>;
  } catch (error) {
    const line = error instanceof ConfigError ? error.message : `config error: ${String(error)}`;
    process.stderr.write(line + '\n');
    process.exit(1);
  }
}

/**
 * Telemetry starts before the service's configuration is parsed (it must be
 * the first import), so it reads just its two variables here.
 */
export function telemetryEnv(): { serviceName?: string; otlpEndpoint?: string } {
  return {
    serviceName: process.env.SERVICE_NAME || undefined,
    otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
  };
}

/** Directories of PATH, for tools that spawn binaries (the test harness's nats-server). */
export function executableSearchPath(): string[] {
  return (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
}
