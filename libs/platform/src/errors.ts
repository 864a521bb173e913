import type { ApolloServerPlugin } from '@apollo/server';
import { trace } from '@opentelemetry/api';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from './logger';

/** One problem found in user input: which field, row (1-based) and column. */
export interface ValidationIssue {
  field?: string;
  row?: number;
  column?: string;
  message: string;
}

/** The GraphQL error codes a client may see from a subgraph or the gateway. */
export const ERROR_CODES = {
  BAD_USER_INPUT:
    'The input is invalid; extensions.issues names each problem (extensions.field for a header).',
  BAD_REQUEST: 'The HTTP request is not a GraphQL request (no query, wrong method or body).',
  NOT_FOUND: 'The requested thing does not exist in this workspace.',
  UNAUTHENTICATED:
    'No valid credentials: a missing, expired or badly signed token (or, at a subgraph, no valid gateway signature).',
  FORBIDDEN:
    'The caller may not do this in this workspace (its role or workspaces do not allow it).',
  TOO_MANY_REQUESTS:
    'The caller sent more requests than its rate allows; retry after Retry-After seconds.',
  PAYLOAD_TOO_LARGE: 'The request body is larger than the limit for this operation.',
  QUERY_TOO_COMPLEX:
    'The query is too deep, too costly, or has too many aliases, directives or tokens.',
  GATEWAY_TIMEOUT: "The request did not finish within the gateway's time limit.",
  CONFLICT: 'The request conflicts with the current state (e.g. a job already running).',
  SERVICE_UNAVAILABLE: 'A service behind the gateway could not answer; retry later.',
  INTERNAL_SERVER_ERROR: 'Something failed inside the service; details are in its logs.',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/** Base class of the errors a service may show to its caller. */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  /** Extra, client-safe details for `extensions`. */
  readonly details: Record<string, unknown>;
  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.details = details;
  }
}

export class ValidationError extends DomainError {
  override readonly name = 'ValidationError';
  readonly code = 'BAD_USER_INPUT' as const;
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[], message?: string) {
    super(
      message ??
        (issues.length === 1 ? issues[0].message : `${issues.length} problems found in the input`),
    );
    this.issues = issues;
  }
}

export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND' as const;
  /** e.g. new NotFoundError('model', id) -> "model abc was not found". */
  constructor(
    readonly kind: string,
    readonly id: string,
  ) {
    super(`${kind} ${id} was not found`, { kind, id });
  }
}

export class ForbiddenError extends DomainError {
  override readonly name = 'ForbiddenError';
  readonly code = 'FORBIDDEN' as const;
}

export class ConflictError extends DomainError {
  override readonly name = 'ConflictError';
  readonly code = 'CONFLICT' as const;
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

function findDomainError(error: unknown): DomainError | undefined {
  // Apollo wraps resolver errors in a GraphQLError whose originalError is ours.
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof DomainError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

const PASS_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  'NOT_FOUND',
  'FORBIDDEN',
  'CONFLICT',
  'UNAUTHENTICATED',
  'PAYLOAD_TOO_LARGE',
  'QUERY_TOO_COMPLEX',
]);

/** Code of a GraphQL error (or of what Apollo wrapped), when it has one. */
function codeOf(error: unknown): string | undefined {
  const code = (error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True for what the caller did wrong or may know about (domain errors, GraphQL's own request
 * errors): those reach the client as they are. Anything else is masked and must be logged.
 */
export function isClientSafeError(error: unknown): boolean {
  if (findDomainError(error)) return true;
  const code = codeOf(error);
  return code !== undefined && PASS_THROUGH.has(code);
}

/**
 * Apollo `formatError`: domain errors become their code with client-safe
 * extensions (issues for BAD_USER_INPUT); GraphQL's own request errors pass
 * through; anything else becomes INTERNAL_SERVER_ERROR with a generic message.
 * Stack traces never leave the process.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError {
  const domain = findDomainError(error);
  if (domain) {
    const extensions: Record<string, unknown> = { ...domain.details, code: domain.code };
    if (domain instanceof ValidationError) extensions.issues = domain.issues;
    return {
      message: domain.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions,
    };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && PASS_THROUGH.has(code)) {
    const rest: Record<string, unknown> = { ...formatted.extensions };
    delete rest.stacktrace;
    return { ...formatted, extensions: rest };
  }
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

export interface ErrorLogOptions {
  /** Errors that need no log line (the client sees them as they are); isClientSafeError by default. */
  isClientSafe?: (error: GraphQLError) => boolean;
}

/**
 * Apollo plugin: one error line, with the stack, request id and trace id, for every error the
 * client only sees masked ("Internal server error"), so that the cause is in the logs.
 */
export function errorLoggingPlugin(
  logger: Logger,
  options: ErrorLogOptions = {},
): ApolloServerPlugin<{ requestId?: string }> {
  const isClientSafe = options.isClientSafe ?? isClientSafeError;
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, request, operationName }) {
          const traceId = trace.getActiveSpan()?.spanContext().traceId;
          for (const error of errors) {
            if (isClientSafe(error)) continue;
            const cause = error.originalError ?? error;
            logger.error('graphql request failed', {
              request_id: contextValue?.requestId ?? request.http?.headers.get('x-request-id'),
              ...(traceId && traceId !== '0'.repeat(32) ? { trace_id: traceId } : {}),
              operation: operationName ?? undefined,
              path: error.path?.join('.'),
              subgraph: error.extensions?.serviceName,
              error: cause instanceof Error ? cause : new Error(String(cause)),
            });
          }
        },
      };
    },
  };
}

/**
 * Why a job or message failed, as it crosses NATS (training.failed, dead letters and their
 * mmm-error-code header): one registry, with what each code means. Consumers and dashboards
 * count and route by code; the reason beside it is for people.
 */
export const FAILURE_CODES = {
  INVALID_REQUEST:
    'The job asks for something the data cannot give (an unknown channel, impossible bounds, a holdout too long).',
  DATASET_NOT_FOUND: 'The dataset the job names does not exist, or was deleted, in its workspace.',
  DATASET_UNREADABLE: 'The stored dataset does not follow the dataset contract.',
  MODEL_NOT_FOUND: 'The model the message names does not exist in its workspace.',
  FIT_FAILED: 'The engine could not fit a model on the data with these settings.',
  TASK_FAILED: 'A part of a split search failed on every attempt.',
  TIMEOUT: 'The job did not finish within its time limit.',
  CANCELLED: 'Someone cancelled the job.',
  UNDECODABLE: 'The message body is not the protobuf message its subject carries.',
  HANDLER_FAILED: 'The handler failed on every attempt with an unexpected error; see the reason.',
  SOURCE_NOT_CONFIGURED:
    'The data source needs a setting or credential the service was not given (see the ingestion README).',
  SOURCE_AUTH_FAILED:
    'The data source refused the credentials (expired or revoked token, no access to the account).',
  SOURCE_THROTTLED:
    'The data source kept throttling the pull (quota or rate limit) after every backoff.',
  SOURCE_REJECTED:
    'The data source refused the request itself (a bad query, an unknown account, a failed report run).',
  SOURCE_UNREACHABLE: 'The data source could not be reached or kept failing on its side.',
  SOURCE_EMPTY: 'The pull returned no rows for its date range.',
  SOURCE_INVALID_DATA: 'The pulled rows fail the dataset validation; the issues say where.',
} as const;
export type FailureCode = keyof typeof FAILURE_CODES;

export function isFailureCode(value: unknown): value is FailureCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(FAILURE_CODES, value);
}

/**
 * A failure that retrying cannot fix (the dataset is gone, the request is impossible): a
 * consumer parks the message on the dead-letter subject at once, with the code.
 */
export class PermanentFailure extends Error {
  override readonly name = 'PermanentFailure';
  constructor(
    readonly code: FailureCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The failure code an error carries, or HANDLER_FAILED for an unexpected one. */
export function failureCodeOf(error: unknown): FailureCode {
  const code = (error as { code?: unknown } | null)?.code;
  return isFailureCode(code) ? code : 'HANDLER_FAILED';
}

/** A dependency (NATS, a store) could not do its part; the request may be retried. */
export class ServiceUnavailableError extends DomainError {
  override readonly name = 'ServiceUnavailableError';
  readonly code = 'SERVICE_UNAVAILABLE' as const;
}
