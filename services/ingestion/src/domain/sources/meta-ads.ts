import type { LongRow } from '../types';
import { SourceError } from './errors';
import { exchange, withRetries, type HttpAnswer, type HttpPolicy } from './http';
import { sumByDayAndChannel } from './google-ads';
import type { DateRange } from './types';

export interface MetaAdsSettings {
  /** e.g. https://graph.facebook.com/v27.0 */
  baseUrl: string;
  accessToken: string;
  /** The ad account, with or without its act_ prefix. */
  adAccountId: string;
  /**
   * The one action type counted as a conversion (its action_values entry as revenue), e.g.
   * offsite_conversion.fb_pixel_purchase: summing several types counts one purchase twice.
   */
  conversionAction?: string;
  /** Every row to this channel; by default the campaign's name is the channel. */
  channel?: string;
  /** How often a report run is asked for its status. */
  pollIntervalMs: number;
  /** Report runs not done by then fail the pull. */
  maxPolls: number;
}

interface InsightRow {
  campaign_name?: string;
  date_start?: string;
  spend?: string;
  impressions?: string;
  clicks?: string;
  actions?: Array<{ action_type: string; value: string }>;
  action_values?: Array<{ action_type: string; value: string }>;
}

interface Page {
  data?: InsightRow[];
  paging?: { next?: string };
}

/** Error codes of Meta's rate limiting: app (4), user (17), ads insights (80000) and calls (613). */
export const META_THROTTLE_CODES = new Set([4, 17, 613, 80000]);

/** How long Meta asks to wait, from its usage headers; 0 when there is room. */
export function metaUsageWaitMs(headers: Headers, backoffMs: number): number {
  let wait = 0;
  const business = headers.get('x-business-use-case-usage');
  if (business) {
    try {
      const usage = JSON.parse(business) as Record<
        string,
        Array<{
          call_count?: number;
          total_time?: number;
          total_cputime?: number;
          estimated_time_to_regain_access?: number;
        }>
      >;
      for (const entries of Object.values(usage)) {
        for (const entry of entries) {
          // Minutes until the account may call again.
          wait = Math.max(wait, (entry.estimated_time_to_regain_access ?? 0) * 60_000);
          const peak = Math.max(
            entry.call_count ?? 0,
            entry.total_time ?? 0,
            entry.total_cputime ?? 0,
          );
          if (peak >= 95) wait = Math.max(wait, backoffMs);
        }
      }
    } catch {
      // A header we cannot read says nothing.
    }
  }
  const insights = headers.get('x-fb-ads-insights-throttle');
  if (insights) {
    try {
      const usage = JSON.parse(insights) as { app_id_util_pct?: number; acc_id_util_pct?: number };
      if (Math.max(usage.app_id_util_pct ?? 0, usage.acc_id_util_pct ?? 0) >= 95) {
        wait = Math.max(wait, backoffMs);
      }
    } catch {
      // idem
    }
  }
  return wait;
}

const FIELDS = 'campaign_name,spend,impressions,clicks,actions,action_values';

/**
 * Meta Marketing API insights at campaign level, one row per day (time_increment=1), run as an
 * asynchronous report (POST, poll async_status, read the pages until paging.next is absent).
 */
export function metaAdsConnector(settings: MetaAdsSettings, policy: HttpPolicy) {
  const base = settings.baseUrl.replace(/\/$/, '');
  const account = settings.adAccountId.startsWith('act_')
    ? settings.adAccountId
    : `act_${settings.adAccountId}`;
  const headers = { authorization: `Bearer ${settings.accessToken}` };
  const wait = policy.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  /** One Graph API call with throttling honoured; returns the JSON body of a 200. */
  async function call(url: string, init: RequestInit = {}): Promise<unknown> {
    return withRetries(policy, async () => {
      const answer = await exchange(url, { ...init, headers }, policy);
      const pause = metaUsageWaitMs(answer.headers, policy.backoffMs);
      if (answer.status === 200) {
        // Near the limit: slow down before the next call rather than be cut off.
        if (pause > 0) await wait(Math.min(pause, policy.maxWaitMs));
        return { value: answer.body };
      }
      const error = failureOf(answer);
      if (META_THROTTLE_CODES.has(error.code) || answer.status === 429) {
        return {
          retryInMs: pause > 0 ? pause : null,
          reason: new SourceError(
            'SOURCE_THROTTLED',
            `Meta is throttling the account: ${error.text}`,
          ),
        };
      }
      if (error.code === 190 || answer.status === 401) {
        throw new SourceError('SOURCE_AUTH_FAILED', `Meta refused the access token: ${error.text}`);
      }
      if (answer.status >= 500 && error.code !== 100) {
        return {
          retryInMs: null,
          reason: new SourceError('SOURCE_UNREACHABLE', `Meta failed: ${error.text}`),
        };
      }
      throw new SourceError('SOURCE_REJECTED', `Meta rejected the request: ${error.text}`);
    });
  }

  async function pull(range: DateRange): Promise<LongRow[]> {
    const params = new URLSearchParams({
      level: 'campaign',
      time_increment: '1',
      fields: FIELDS,
      time_range: JSON.stringify({ since: range.start, until: range.end }),
    });
    const started = (await call(`${base}/${account}/insights`, {
      method: 'POST',
      body: params,
    })) as { report_run_id?: string };
    const run = started?.report_run_id;
    if (typeof run !== 'string') {
      throw new SourceError(
        'SOURCE_REJECTED',
        'Meta did not start a report run (no report_run_id).',
      );
    }
    for (let poll = 0; ; poll += 1) {
      const status = (await call(
        `${base}/${run}?fields=async_status,async_percent_completion`,
      )) as {
        async_status?: string;
      };
      if (status?.async_status === 'Job Completed') break;
      if (status?.async_status === 'Job Failed' || status?.async_status === 'Job Skipped') {
        throw new SourceError(
          'SOURCE_REJECTED',
          `Meta report run ${run} ended with "${status.async_status}".`,
        );
      }
      if (poll + 1 >= settings.maxPolls) {
        throw new SourceError(
          'SOURCE_UNREACHABLE',
          `Meta report run ${run} was not done after ${settings.maxPolls} polls.`,
        );
      }
      await wait(settings.pollIntervalMs);
    }
    const rows: LongRow[] = [];
    let next: string | undefined = `${base}/${run}/insights?limit=500`;
    while (next !== undefined) {
      const page = (await call(next)) as Page;
      for (const row of page?.data ?? []) rows.push(toLongRow(row));
      next = page?.paging?.next;
    }
    return sumByDayAndChannel(rows);
  }

  function toLongRow(row: InsightRow): LongRow {
    const action = settings.conversionAction;
    const one = (list: InsightRow['actions']) =>
      action === undefined ? null : Number(list?.find((a) => a.action_type === action)?.value ?? 0);
    return {
      date: row.date_start ?? '',
      channel: settings.channel ?? row.campaign_name ?? '',
      spend: Number(row.spend ?? 0),
      impressions: Number(row.impressions ?? 0),
      clicks: Number(row.clicks ?? 0),
      conversions: one(row.actions),
      revenue: one(row.action_values),
    };
  }

  return { pull };
}

function failureOf(answer: HttpAnswer): { code: number; text: string } {
  const error = (
    answer.body as {
      error?: { code?: number; message?: string; error_subcode?: number; type?: string };
    } | null
  )?.error;
  const code = error?.code ?? 0;
  const text = error
    ? `(#${code}${error.error_subcode ? `/${error.error_subcode}` : ''}) ${error.message ?? error.type ?? ''}`.trim()
    : `HTTP ${answer.status}`;
  return { code, text };
}
