import type { LongRow } from '../types';
import { SourceError } from './errors';
import { exchange, retryAfterMs, withRetries, type HttpPolicy } from './http';
import type { googleAccessTokens } from './oauth';
import type { DateRange } from './types';

export interface GoogleAdsSettings {
  /** e.g. https://googleads.googleapis.com/v26 */
  baseUrl: string;
  developerToken: string;
  /** The manager account the call goes through, digits only; optional. */
  loginCustomerId?: string;
  /** The advertiser's account, digits only (dashes are removed). */
  customerId: string;
}

interface GoogleAdsRow {
  segments?: { date?: string };
  campaign?: { advertisingChannelType?: string };
  metrics?: {
    costMicros?: string;
    impressions?: string;
    clicks?: string;
    conversions?: number;
    conversionsValue?: number;
  };
}

interface GoogleAdsError {
  errorCode?: Record<string, string>;
  message?: string;
}

/** The GAQL of a pull: cost, exposure and results by day and campaign type. */
export function googleAdsQuery(range: DateRange): string {
  return (
    'SELECT segments.date, campaign.advertising_channel_type, metrics.cost_micros, ' +
    'metrics.impressions, metrics.clicks, metrics.conversions, metrics.conversions_value ' +
    `FROM campaign WHERE segments.date BETWEEN '${range.start}' AND '${range.end}'`
  );
}

/** int64 fields come as strings; an absent metric is 0. */
const int64 = (value: string | undefined) => (value === undefined ? 0 : Number(value));

/** The GoogleAdsFailure of an error body, as one readable line. */
function describeFailure(body: unknown, status: number): { text: string; codes: string[] } {
  const envelope = (Array.isArray(body) ? body[0] : body) as {
    error?: { message?: string; status?: string; details?: Array<{ errors?: GoogleAdsError[] }> };
  } | null;
  const error = envelope?.error;
  const errors = (error?.details ?? []).flatMap((d) => d.errors ?? []);
  const codes = errors.flatMap((e) => Object.values(e.errorCode ?? {}));
  const parts = errors.map((e) => {
    const code = Object.entries(e.errorCode ?? {})
      .map(([kind, value]) => `${kind}.${value}`)
      .join(', ');
    return `${code}${e.message ? `: ${e.message}` : ''}`;
  });
  const text = parts.length > 0 ? parts.join('; ') : (error?.message ?? `HTTP ${status}`);
  return { text: `${error?.status ?? `HTTP ${status}`}: ${text}`, codes };
}

/**
 * Google Ads API `googleAds:searchStream`: one POST answers the whole range as a JSON array of
 * batches. Rows become long rows per campaign type (the model channel), cost from micros.
 */
export function googleAdsConnector(
  settings: GoogleAdsSettings,
  tokens: ReturnType<typeof googleAccessTokens>,
  policy: HttpPolicy,
) {
  const customer = settings.customerId.replace(/-/g, '');
  const url = `${settings.baseUrl.replace(/\/$/, '')}/customers/${customer}/googleAds:searchStream`;

  async function pull(range: DateRange): Promise<LongRow[]> {
    let refreshed = false;
    const batches = await withRetries<Array<{ results?: GoogleAdsRow[] }>>(policy, async () => {
      const headers: Record<string, string> = {
        authorization: `Bearer ${await tokens.current()}`,
        'developer-token': settings.developerToken,
        'content-type': 'application/json',
      };
      if (settings.loginCustomerId) {
        headers['login-customer-id'] = settings.loginCustomerId.replace(/-/g, '');
      }
      const answer = await exchange(
        url,
        { method: 'POST', headers, body: JSON.stringify({ query: googleAdsQuery(range) }) },
        policy,
      );
      if (answer.status === 200)
        return { value: (answer.body ?? []) as Array<{ results?: GoogleAdsRow[] }> };
      const failure = describeFailure(answer.body, answer.status);
      if (answer.status === 401 && !refreshed) {
        // An access token revoked or expired early: one fresh token, then give up.
        refreshed = true;
        await tokens.refresh();
        return { retryInMs: 0, reason: new SourceError('SOURCE_AUTH_FAILED', failure.text) };
      }
      if (answer.status === 401 || answer.status === 403) {
        throw new SourceError(
          'SOURCE_AUTH_FAILED',
          `Google Ads refused access to customer ${customer}: ${failure.text}`,
        );
      }
      if (answer.status === 429 || failure.codes.includes('RESOURCE_EXHAUSTED')) {
        return {
          retryInMs: retryAfterMs(answer.headers),
          reason: new SourceError(
            'SOURCE_THROTTLED',
            `Google Ads quota exhausted: ${failure.text}`,
          ),
        };
      }
      if (answer.status >= 500) {
        return {
          retryInMs: null,
          reason: new SourceError('SOURCE_UNREACHABLE', `Google Ads failed: ${failure.text}`),
        };
      }
      throw new SourceError('SOURCE_REJECTED', `Google Ads rejected the query: ${failure.text}`);
    });
    const rows: LongRow[] = [];
    for (const batch of batches) {
      for (const row of batch.results ?? []) {
        rows.push({
          date: row.segments?.date ?? '',
          channel: row.campaign?.advertisingChannelType ?? 'UNSPECIFIED',
          // Micros: millionths of the account currency.
          spend: int64(row.metrics?.costMicros) / 1_000_000,
          impressions: int64(row.metrics?.impressions),
          clicks: int64(row.metrics?.clicks),
          conversions: row.metrics?.conversions ?? 0,
          revenue: row.metrics?.conversionsValue ?? 0,
        });
      }
    }
    return sumByDayAndChannel(rows);
  }

  return { pull };
}

/** Several campaigns of one type on one day are one long row. */
export function sumByDayAndChannel(rows: LongRow[]): LongRow[] {
  const out = new Map<string, LongRow>();
  for (const row of rows) {
    const key = `${row.date}\u0000${row.channel}`;
    const sum = out.get(key);
    if (sum === undefined) {
      out.set(key, { ...row });
      continue;
    }
    for (const metric of ['spend', 'impressions', 'clicks', 'conversions', 'revenue'] as const) {
      sum[metric] = (sum[metric] ?? 0) + (row[metric] ?? 0);
    }
  }
  return [...out.values()];
}
