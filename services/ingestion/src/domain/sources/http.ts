import { SourceError } from './errors';

/** How a connector waits and retries; tests shorten the waits. */
export interface HttpPolicy {
  /** Attempts of one call before giving up on throttling or a server error. */
  maxAttempts: number;
  /** First backoff; doubled at each attempt unless the server says how long. */
  backoffMs: number;
  /** The longest single wait, whatever the server asks. */
  maxWaitMs: number;
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_HTTP_POLICY: HttpPolicy = {
  maxAttempts: 5,
  backoffMs: 1_000,
  maxWaitMs: 60_000,
  timeoutMs: 60_000,
};

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** One HTTP exchange; an unreachable host is SOURCE_UNREACHABLE, with no URL query (tokens). */
export async function exchange(
  url: string,
  init: RequestInit,
  policy: HttpPolicy,
): Promise<HttpAnswer> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(policy.timeoutMs) });
  } catch (error) {
    throw new SourceError(
      'SOURCE_UNREACHABLE',
      `${new URL(url).origin} could not be reached: ${(error as Error).message}`,
      [],
      { cause: error },
    );
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** Seconds of a Retry-After header as milliseconds, when it is a number. */
export function retryAfterMs(headers: Headers): number | null {
  const value = headers.get('retry-after');
  if (value === null || !/^\d+(\.\d+)?$/.test(value.trim())) return null;
  return Number(value) * 1000;
}

/**
 * Calls `attempt` until it returns a value; `attempt` returns { retryInMs } to be called again
 * after that wait (null: the policy's doubling backoff). After maxAttempts the last reason stands.
 */
export async function withRetries<T>(
  policy: HttpPolicy,
  attempt: (n: number) => Promise<{ value: T } | { retryInMs: number | null; reason: SourceError }>,
): Promise<T> {
  const wait = policy.sleep ?? sleep;
  let last: SourceError | undefined;
  for (let n = 0; n < policy.maxAttempts; n += 1) {
    const outcome = await attempt(n);
    if ('value' in outcome) return outcome.value;
    last = outcome.reason;
    if (n + 1 < policy.maxAttempts) {
      const ms = outcome.retryInMs ?? policy.backoffMs * 2 ** n;
      await wait(Math.min(ms, policy.maxWaitMs));
    }
  }
  throw last as SourceError;
}
