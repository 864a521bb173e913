import {
  ga4Connector,
  googleAccessTokens,
  googleAdsConnector,
  metaAdsConnector,
  type HttpPolicy,
  type SourceError,
} from '../src/domain/sources';
import { startFake, type Seen } from './fake-http';

jest.setTimeout(30_000);

/** Waits are recorded, not slept: the tests check what the connector asked for. */
function policy(waits: number[]): HttpPolicy {
  return {
    maxAttempts: 4,
    backoffMs: 500,
    maxWaitMs: 120_000,
    timeoutMs: 10_000,
    sleep: async (ms) => {
      waits.push(ms);
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  try {
    await promise;
  } catch (error) {
    return error as SourceError;
  }
  throw new Error('expected the pull to fail');
}

const RANGE = { start: '2024-01-01', end: '2024-01-02' };

/** Google's token endpoint: a new access token per refresh, or invalid_grant. */
function tokenAnswer(seen: Seen, issued: { n: number }, refuse = false) {
  const form = new URLSearchParams(seen.body);
  if (refuse || form.get('refresh_token') !== 'refresh-secret') {
    return {
      status: 400,
      json: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
    };
  }
  issued.n += 1;
  return { json: { access_token: `access-${issued.n}`, expires_in: 3599, token_type: 'Bearer' } };
}

describe('Google Ads searchStream', () => {
  const row = (date: string, type: string, micros: string, impressions: string) => ({
    campaign: { resourceName: 'customers/1234567890/campaigns/1', advertisingChannelType: type },
    metrics: {
      costMicros: micros,
      impressions,
      clicks: '12',
      conversions: 1.5,
      conversionsValue: 42.25,
    },
    segments: { date },
  });

  it('refreshes the token on 401, backs off on RESOURCE_EXHAUSTED and sums campaigns by type', async () => {
    const issued = { n: 0 };
    let streamCalls = 0;
    const fake = await startFake((seen) => {
      if (seen.path === '/token') return tokenAnswer(seen, issued);
      streamCalls += 1;
      if (streamCalls === 1) {
        return {
          status: 401,
          json: [
            {
              error: {
                code: 401,
                status: 'UNAUTHENTICATED',
                message: 'Request had invalid authentication credentials.',
              },
            },
          ],
        };
      }
      if (streamCalls === 2) {
        return {
          status: 429,
          headers: { 'retry-after': '3' },
          json: [
            {
              error: {
                code: 429,
                status: 'RESOURCE_EXHAUSTED',
                message: 'Too many requests.',
                details: [
                  {
                    '@type': 'type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure',
                    errors: [
                      {
                        errorCode: { quotaError: 'RESOURCE_EXHAUSTED' },
                        message: 'Too many requests.',
                      },
                    ],
                    requestId: 'r-2',
                  },
                ],
              },
            },
          ],
        };
      }
      return {
        json: [
          {
            results: [
              row('2024-01-01', 'SEARCH', '1500000', '100'),
              row('2024-01-01', 'SEARCH', '2500000', '50'),
            ],
            fieldMask: 'segments.date,campaign.advertisingChannelType,metrics.costMicros',
            requestId: 'r-3',
          },
          {
            results: [row('2024-01-02', 'VIDEO', '12340000', '9000')],
            fieldMask: 'segments.date',
            requestId: 'r-3',
          },
        ],
      };
    });
    const waits: number[] = [];
    const connector = googleAdsConnector(
      {
        baseUrl: `${fake.url}/v26`,
        developerToken: 'dev-token',
        loginCustomerId: '111-222-3333',
        customerId: '123-456-7890',
      },
      googleAccessTokens(
        {
          tokenUrl: `${fake.url}/token`,
          clientId: 'id',
          clientSecret: 's',
          refreshToken: 'refresh-secret',
        },
        policy(waits),
      ),
      policy(waits),
    );
    const rows = await connector.pull(RANGE);
    await fake.stop();

    expect(rows).toEqual([
      {
        date: '2024-01-01',
        channel: 'SEARCH',
        spend: 4,
        impressions: 150,
        clicks: 24,
        conversions: 3,
        revenue: 84.5,
      },
      {
        date: '2024-01-02',
        channel: 'VIDEO',
        spend: 12.34,
        impressions: 9000,
        clicks: 12,
        conversions: 1.5,
        revenue: 42.25,
      },
    ]);
    const streams = fake.seen.filter((s) => s.path.endsWith('googleAds:searchStream'));
    expect(streams.map((s) => s.path)).toEqual(
      Array(3).fill('/v26/customers/1234567890/googleAds:searchStream'),
    );
    expect(streams.map((s) => s.headers.authorization)).toEqual([
      'Bearer access-1',
      'Bearer access-2',
      'Bearer access-2',
    ]);
    expect(streams[0].headers['developer-token']).toBe('dev-token');
    expect(streams[0].headers['login-customer-id']).toBe('1112223333');
    expect(JSON.parse(streams[0].body).query).toContain(
      "segments.date BETWEEN '2024-01-01' AND '2024-01-02'",
    );
    expect(waits).toEqual([0, 3000]);
  });

  it('maps a GoogleAdsFailure to a clear message without secrets', async () => {
    const issued = { n: 0 };
    const fake = await startFake((seen) => {
      if (seen.path === '/token') return tokenAnswer(seen, issued);
      return {
        status: 400,
        json: [
          {
            error: {
              code: 400,
              status: 'INVALID_ARGUMENT',
              message: 'Request contains an invalid argument.',
              details: [
                {
                  '@type': 'type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure',
                  errors: [
                    {
                      errorCode: { authorizationError: 'USER_PERMISSION_DENIED' },
                      message: "User doesn't have permission to access customer.",
                    },
                  ],
                },
              ],
            },
          },
        ],
      };
    });
    const waits: number[] = [];
    const error = await failure(
      googleAdsConnector(
        { baseUrl: `${fake.url}/v26`, developerToken: 'dev-token', customerId: '1234567890' },
        googleAccessTokens(
          {
            tokenUrl: `${fake.url}/token`,
            clientId: 'id',
            clientSecret: 's',
            refreshToken: 'refresh-secret',
          },
          policy(waits),
        ),
        policy(waits),
      ).pull(RANGE),
    );
    await fake.stop();
    expect(error.code).toBe('SOURCE_REJECTED');
    expect(error.message).toBe(
      "Google Ads rejected the query: INVALID_ARGUMENT: authorizationError.USER_PERMISSION_DENIED: User doesn't have permission to access customer.",
    );
    expect(error.message).not.toMatch(/access-1|refresh-secret|dev-token/);
    expect(fake.seen[1].headers['login-customer-id']).toBeUndefined();
  });

  it('fails with SOURCE_AUTH_FAILED when the refresh token is revoked', async () => {
    const fake = await startFake((seen) => tokenAnswer(seen, { n: 0 }, true));
    const waits: number[] = [];
    const error = await failure(
      googleAdsConnector(
        { baseUrl: `${fake.url}/v26`, developerToken: 'dev-token', customerId: '1234567890' },
        googleAccessTokens(
          {
            tokenUrl: `${fake.url}/token`,
            clientId: 'id',
            clientSecret: 's',
            refreshToken: 'refresh-secret',
          },
          policy(waits),
        ),
        policy(waits),
      ).pull(RANGE),
    );
    await fake.stop();
    expect(error.code).toBe('SOURCE_AUTH_FAILED');
    expect(error.message).toBe(
      'Google OAuth refused the refresh token (invalid_grant: Token has been expired or revoked.); renew the credentials.',
    );
  });

  it('gives up after its attempts when the quota stays exhausted', async () => {
    const issued = { n: 0 };
    const fake = await startFake((seen) =>
      seen.path === '/token'
        ? tokenAnswer(seen, issued)
        : {
            status: 429,
            json: {
              error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded.' },
            },
          },
    );
    const waits: number[] = [];
    const error = await failure(
      googleAdsConnector(
        { baseUrl: `${fake.url}/v26`, developerToken: 'd', customerId: '1234567890' },
        googleAccessTokens(
          {
            tokenUrl: `${fake.url}/token`,
            clientId: 'id',
            clientSecret: 's',
            refreshToken: 'refresh-secret',
          },
          policy(waits),
        ),
        policy(waits),
      ).pull(RANGE),
    );
    await fake.stop();
    expect(error.code).toBe('SOURCE_THROTTLED');
    expect(error.message).toBe('Google Ads quota exhausted: RESOURCE_EXHAUSTED: Quota exceeded.');
    // Doubling backoff between the four attempts.
    expect(waits).toEqual([500, 1000, 2000]);
  });
});

describe('Meta insights as an asynchronous report run', () => {
  const insight = (campaign: string, date: string, spend: string) => ({
    campaign_name: campaign,
    spend,
    impressions: '1000',
    clicks: '20',
    actions: [
      { action_type: 'link_click', value: '20' },
      { action_type: 'offsite_conversion.fb_pixel_purchase', value: '3' },
      { action_type: 'omni_purchase', value: '3' },
    ],
    action_values: [
      { action_type: 'offsite_conversion.fb_pixel_purchase', value: '120.5' },
      { action_type: 'omni_purchase', value: '120.5' },
    ],
    date_start: date,
    date_stop: date,
  });

  it('starts a run, polls async_status, follows paging.next and backs off on code 17', async () => {
    let polls = 0;
    let pageTwo = 0;
    let fakeUrl = '';
    const fake = await startFake((seen) => {
      if (seen.method === 'POST' && seen.path === '/v27.0/act_123/insights')
        return { json: { report_run_id: '6001' } };
      if (seen.path === '/v27.0/6001') {
        polls += 1;
        return {
          json:
            polls < 3
              ? {
                  id: '6001',
                  async_status: polls === 1 ? 'Job Not Started' : 'Job Running',
                  async_percent_completion: polls * 30,
                }
              : { id: '6001', async_status: 'Job Completed', async_percent_completion: 100 },
        };
      }
      if (seen.path === '/v27.0/6001/insights' && !seen.query.has('after')) {
        return {
          headers: {
            'x-fb-ads-insights-throttle': JSON.stringify({
              app_id_util_pct: 97.5,
              acc_id_util_pct: 10,
            }),
          },
          json: {
            data: [
              insight('Prospecting', '2024-01-01', '10.50'),
              insight('Retargeting', '2024-01-01', '5.25'),
            ],
            paging: {
              cursors: { before: 'b0', after: 'c1' },
              next: `${fakeUrl}/v27.0/6001/insights?limit=500&after=c1`,
            },
          },
        };
      }
      pageTwo += 1;
      if (pageTwo === 1) {
        return {
          status: 400,
          headers: {
            'x-business-use-case-usage': JSON.stringify({
              '123': [
                {
                  type: 'ads_insights',
                  call_count: 100,
                  total_cputime: 40,
                  total_time: 60,
                  estimated_time_to_regain_access: 1,
                },
              ],
            }),
          },
          json: {
            error: {
              message: '(#17) User request limit reached',
              type: 'OAuthException',
              code: 17,
              error_subcode: 2446079,
              fbtrace_id: 'x',
            },
          },
        };
      }
      return {
        json: {
          data: [insight('Prospecting', '2024-01-02', '11.00')],
          paging: { cursors: { before: 'c1', after: 'c2' } },
        },
      };
    });
    fakeUrl = fake.url;
    const waits: number[] = [];
    const rows = await metaAdsConnector(
      {
        baseUrl: `${fake.url}/v27.0`,
        accessToken: 'meta-secret',
        adAccountId: '123',
        conversionAction: 'offsite_conversion.fb_pixel_purchase',
        pollIntervalMs: 250,
        maxPolls: 10,
      },
      policy(waits),
    ).pull(RANGE);
    await fake.stop();

    expect(rows).toEqual([
      {
        date: '2024-01-01',
        channel: 'Prospecting',
        spend: 10.5,
        impressions: 1000,
        clicks: 20,
        conversions: 3,
        revenue: 120.5,
      },
      {
        date: '2024-01-01',
        channel: 'Retargeting',
        spend: 5.25,
        impressions: 1000,
        clicks: 20,
        conversions: 3,
        revenue: 120.5,
      },
      {
        date: '2024-01-02',
        channel: 'Prospecting',
        spend: 11,
        impressions: 1000,
        clicks: 20,
        conversions: 3,
        revenue: 120.5,
      },
    ]);
    const start = new URLSearchParams(fake.seen[0].body);
    expect(Object.fromEntries(start)).toMatchObject({
      level: 'campaign',
      time_increment: '1',
      time_range: '{"since":"2024-01-01","until":"2024-01-02"}',
    });
    expect(fake.seen.every((s) => s.headers.authorization === 'Bearer meta-secret')).toBe(true);
    expect(polls).toBe(3);
    // Two polls waited; the page near its limit slowed down; code 17 waited the minute Meta asked.
    expect(waits).toEqual([250, 250, 500, 60_000]);
  });

  it('fails with SOURCE_AUTH_FAILED on an expired token (code 190)', async () => {
    const fake = await startFake(() => ({
      status: 400,
      json: {
        error: {
          message: 'Error validating access token: Session has expired.',
          type: 'OAuthException',
          code: 190,
          error_subcode: 463,
        },
      },
    }));
    const error = await failure(
      metaAdsConnector(
        {
          baseUrl: fake.url,
          accessToken: 't',
          adAccountId: 'act_9',
          pollIntervalMs: 1,
          maxPolls: 2,
        },
        policy([]),
      ).pull(RANGE),
    );
    await fake.stop();
    expect(error.code).toBe('SOURCE_AUTH_FAILED');
    expect(error.message).toBe(
      'Meta refused the access token: (#190/463) Error validating access token: Session has expired.',
    );
  });

  it('fails with SOURCE_REJECTED when the report run fails', async () => {
    const fake = await startFake((seen) =>
      seen.method === 'POST'
        ? { json: { report_run_id: '77' } }
        : { json: { id: '77', async_status: 'Job Failed', async_percent_completion: 0 } },
    );
    const error = await failure(
      metaAdsConnector(
        { baseUrl: fake.url, accessToken: 't', adAccountId: '9', pollIntervalMs: 1, maxPolls: 5 },
        policy([]),
      ).pull(RANGE),
    );
    await fake.stop();
    expect(error.code).toBe('SOURCE_REJECTED');
    expect(error.message).toBe('Meta report run 77 ended with "Job Failed".');
  });
});

describe('GA4 runReport', () => {
  const all = Array.from({ length: 5 }, (_, i) => ({
    dimensionValues: [
      { value: `2024010${1 + Math.floor(i / 2)}` },
      { value: i % 2 === 0 ? 'Organic Search' : 'Direct' },
    ],
    metricValues: [{ value: String(100 + i) }, { value: String(i) }, { value: `${i}.5` }],
  }));

  it('pages by offset up to rowCount and retries RESOURCE_EXHAUSTED', async () => {
    const issued = { n: 0 };
    let calls = 0;
    const fake = await startFake((seen) => {
      if (seen.path === '/token') return tokenAnswer(seen, issued);
      calls += 1;
      if (calls === 2) {
        return {
          status: 429,
          json: {
            error: {
              code: 429,
              message: 'Exhausted concurrent requests quota.',
              status: 'RESOURCE_EXHAUSTED',
            },
          },
        };
      }
      const body = JSON.parse(seen.body) as { limit: string; offset: string };
      const offset = Number(body.offset);
      return {
        json: {
          dimensionHeaders: [{ name: 'date' }, { name: 'sessionDefaultChannelGroup' }],
          metricHeaders: [
            { name: 'sessions', type: 'TYPE_INTEGER' },
            { name: 'keyEvents', type: 'TYPE_INTEGER' },
            { name: 'totalRevenue', type: 'TYPE_CURRENCY' },
          ],
          rows: all.slice(offset, offset + Number(body.limit)),
          rowCount: all.length,
          kind: 'analyticsData#runReport',
        },
      };
    });
    const waits: number[] = [];
    const rows = await ga4Connector(
      { baseUrl: `${fake.url}/v1beta`, propertyId: '999', pageSize: 2 },
      googleAccessTokens(
        {
          tokenUrl: `${fake.url}/token`,
          clientId: 'id',
          clientSecret: 's',
          refreshToken: 'refresh-secret',
        },
        policy(waits),
      ),
      policy(waits),
    ).pull(RANGE);
    await fake.stop();
    expect(rows).toHaveLength(5);
    expect(rows[0]).toEqual({
      date: '2024-01-01',
      channel: 'Organic Search',
      impressions: 100,
      conversions: 0,
      revenue: 0.5,
    });
    expect(rows[4]).toEqual({
      date: '2024-01-03',
      channel: 'Organic Search',
      impressions: 104,
      conversions: 4,
      revenue: 4.5,
    });
    const reports = fake.seen
      .filter((s) => s.path === '/v1beta/properties/999:runReport')
      .map((s) => JSON.parse(s.body));
    expect(reports.map((r) => r.offset)).toEqual(['0', '2', '2', '4']);
    expect(reports[0]).toMatchObject({
      dateRanges: [{ startDate: '2024-01-01', endDate: '2024-01-02' }],
      dimensions: [{ name: 'date' }, { name: 'sessionDefaultChannelGroup' }],
      metrics: [{ name: 'sessions' }, { name: 'keyEvents' }, { name: 'totalRevenue' }],
    });
    expect(waits).toEqual([500]);
  });

  it('fails with SOURCE_AUTH_FAILED without access to the property', async () => {
    const issued = { n: 0 };
    const fake = await startFake((seen) =>
      seen.path === '/token'
        ? tokenAnswer(seen, issued)
        : {
            status: 403,
            json: {
              error: {
                code: 403,
                message: 'User does not have sufficient permissions for this property.',
                status: 'PERMISSION_DENIED',
              },
            },
          },
    );
    const error = await failure(
      ga4Connector(
        { baseUrl: fake.url, propertyId: '999', pageSize: 10 },
        googleAccessTokens(
          {
            tokenUrl: `${fake.url}/token`,
            clientId: 'id',
            clientSecret: 's',
            refreshToken: 'refresh-secret',
          },
          policy([]),
        ),
        policy([]),
      ).pull(RANGE),
    );
    await fake.stop();
    expect(error.code).toBe('SOURCE_AUTH_FAILED');
    expect(error.message).toBe(
      'GA4 refused access to property 999: PERMISSION_DENIED: User does not have sufficient permissions for this property.',
    );
  });
});
