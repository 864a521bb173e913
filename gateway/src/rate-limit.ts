/**
 * Per-caller rate limiting: a token bucket per subject that refills continuously, so a caller may
 * burst up to its per-minute allowance and then goes at the steady rate.
 */
export interface RateLimiter {
  /** 0 when the request may go on; otherwise the seconds to wait (for Retry-After). */
  take(subject: string, now?: number): number;
}

export function createRateLimiter(perMinute: number): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = perMinute / 60_000;
  return {
    take(subject, now = Date.now()) {
      const bucket = buckets.get(subject) ?? { tokens: perMinute, at: now };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
      if (buckets.size > 100_000) buckets.clear();
      buckets.set(subject, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    },
  };
}
