import { formatError, isClientSafeError } from '@mmm/platform';
import { GraphQLError, type GraphQLFormattedError, type ValidationContext } from 'graphql';

const MASKED_MESSAGE = 'Internal server error';

/**
 * An error's message with the causes under it (Node's fetch says only "fetch failed"; the
 * socket error, ECONNREFUSED and the like, is its cause).
 */
function describeCause(cause: unknown): string {
  const parts: string[] = [];
  let current: unknown = cause;
  for (let depth = 0; depth < 4 && current; depth++) {
    // Duck-typed: errors of Node's own fetch may come from another realm (instanceof fails).
    const e = current as { message?: unknown; code?: unknown; cause?: unknown };
    if (typeof current !== 'object' || typeof e.message !== 'string') {
      parts.push(String(current));
      break;
    }
    const code = typeof e.code === 'string' && !e.message.includes(e.code) ? ` (${e.code})` : '';
    parts.push(`${e.message}${code}`);
    current = e.cause;
  }
  return parts.join(': ');
}

/**
 * A subgraph that did not answer (refused connection, timeout, reset). The message keeps the
 * cause for the log; the client only sees the subgraph's name (formatGatewayError).
 */
export class SubgraphUnavailableError extends Error {
  override readonly name = 'SubgraphUnavailableError';
  constructor(
    readonly subgraph: string,
    cause: unknown,
  ) {
    super(`subgraph ${subgraph} is unavailable: ${describeCause(cause)}`, { cause });
    if (cause instanceof Error && cause.stack)
      this.stack = `${this.stack}\nCaused by: ${cause.stack}`;
  }
}

function findUnavailable(error: unknown): SubgraphUnavailableError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof SubgraphUnavailableError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

function serviceNameOf(error: { extensions?: Record<string, unknown> }): string | undefined {
  const name = error.extensions?.serviceName;
  return typeof name === 'string' ? name : undefined;
}

/**
 * A subgraph's own INTERNAL_SERVER_ERROR: already masked (and logged) by the subgraph's
 * formatError, so it is safe to pass on and needs no second log line.
 */
function isMaskedBySubgraph(error: { message: string; extensions?: Record<string, unknown> }) {
  return (
    serviceNameOf(error) !== undefined &&
    error.extensions?.code === 'INTERNAL_SERVER_ERROR' &&
    error.message === MASKED_MESSAGE
  );
}

/** Errors that reach the client as they are; every other one is logged by the gateway. */
export function isClientSafeGatewayError(error: GraphQLError): boolean {
  return isClientSafeError(error) || isMaskedBySubgraph(error);
}

/** A query over one of graphql-armor's limits (depth, cost, aliases, directives). */
export class QueryLimitError extends GraphQLError {
  override readonly name = 'QueryLimitError';
}

/**
 * graphql-armor's onReject callback (with propagateOnRejection off): reports the rejection to
 * the validation as a QueryLimitError, which formatGatewayError answers with QUERY_TOO_COMPLEX.
 * (Armor's own report is a plain GraphQLError with a "Syntax Error:" message.)
 */
export function reportQueryLimit(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(new QueryLimitError(error.message.replace(/^Syntax Error: /, '')));
}

function isQueryLimitRejection(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof QueryLimitError) return true;
    current = (current as { originalError?: unknown }).originalError;
  }
  return false;
}

// graphql-js's own token limit (parseOptions.maxTokens): a parse error, told apart by its text
// alone.
const TOKEN_REJECTION = /^Syntax Error: Document contains more that (\d+) tokens/;

/**
 * Apollo `formatError` of the gateway. What a subgraph answered passes on (its formatError
 * already hid internals); a subgraph the gateway could not reach or understand becomes
 * SERVICE_UNAVAILABLE naming it, without the URL or socket error (those are in the log).
 */
export function formatGatewayError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError {
  if (isMaskedBySubgraph(formatted)) {
    const extensions: Record<string, unknown> = { ...formatted.extensions };
    delete extensions.stacktrace;
    return { ...formatted, extensions };
  }
  const tokens = TOKEN_REJECTION.exec(formatted.message);
  if (tokens) {
    return {
      message: `Token limit of ${tokens[1]} exceeded.`,
      extensions: { code: 'QUERY_TOO_COMPLEX' },
    };
  }
  if (isQueryLimitRejection(error)) {
    return { message: formatted.message, extensions: { code: 'QUERY_TOO_COMPLEX' } };
  }
  const unavailable = findUnavailable(error);
  if (unavailable) {
    return {
      message: `subgraph ${unavailable.subgraph} is unavailable`,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: unavailable.subgraph },
    };
  }
  return formatError(formatted, error);
}
