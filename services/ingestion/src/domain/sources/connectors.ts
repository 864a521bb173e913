import { SourceError } from './errors';
import { ga4Connector } from './ga4';
import { googleAdsConnector } from './google-ads';
import type { HttpPolicy } from './http';
import { metaAdsConnector } from './meta-ads';
import { googleAccessTokens } from './oauth';
import { duckDbConnector, postgresConnector } from './sql';
import type { Connector } from './types';

export type SourceKind = 'GOOGLE_ADS' | 'META_ADS' | 'GA4' | 'POSTGRES' | 'DUCKDB';

/** What a source names (non-secret): the account, the query or the file. */
export interface SourceSpec {
  kind: SourceKind;
  /** Google Ads customer id, Meta ad account id, GA4 property id. */
  account: string | null;
  query: string | null;
  file: string | null;
  /** Meta: the one action type counted as a conversion. */
  conversionAction: string | null;
}

/** The service's side of the sources: base URLs, credentials, limits (from its config). */
export interface SourceEnvironment {
  googleAdsApiUrl: string;
  googleAdsDeveloperToken?: string;
  googleAdsLoginCustomerId?: string;
  googleOAuthTokenUrl: string;
  googleOAuthClientId?: string;
  googleOAuthClientSecret?: string;
  googleOAuthRefreshToken?: string;
  metaGraphApiUrl: string;
  metaAccessToken?: string;
  ga4DataApiUrl: string;
  postgresUrl?: string;
  duckDbRoot?: string;
  duckDbMemoryLimit: string;
  duckDbThreads: number;
  http: HttpPolicy;
  metaPollIntervalMs: number;
  metaMaxPolls: number;
  sqlStatementTimeoutMs: number;
}

function need<T>(value: T | undefined | null, variable: string, kind: SourceKind): T {
  if (value === undefined || value === null || value === '') {
    throw new SourceError(
      'SOURCE_NOT_CONFIGURED',
      `${kind} sources need ${variable} in the ingestion service's configuration.`,
    );
  }
  return value;
}

/** The connector of a source; a missing credential is SOURCE_NOT_CONFIGURED (named, not shown). */
export function connectorFor(spec: SourceSpec, env: SourceEnvironment): Connector {
  const google = () =>
    googleAccessTokens(
      {
        tokenUrl: env.googleOAuthTokenUrl,
        clientId: need(env.googleOAuthClientId, 'GOOGLE_OAUTH_CLIENT_ID', spec.kind),
        clientSecret: need(env.googleOAuthClientSecret, 'GOOGLE_OAUTH_CLIENT_SECRET', spec.kind),
        refreshToken: need(env.googleOAuthRefreshToken, 'GOOGLE_OAUTH_REFRESH_TOKEN', spec.kind),
      },
      env.http,
    );
  switch (spec.kind) {
    case 'GOOGLE_ADS':
      return googleAdsConnector(
        {
          baseUrl: env.googleAdsApiUrl,
          developerToken: need(
            env.googleAdsDeveloperToken,
            'GOOGLE_ADS_DEVELOPER_TOKEN',
            spec.kind,
          ),
          loginCustomerId: env.googleAdsLoginCustomerId,
          customerId: spec.account as string,
        },
        google(),
        env.http,
      );
    case 'META_ADS':
      return metaAdsConnector(
        {
          baseUrl: env.metaGraphApiUrl,
          accessToken: need(env.metaAccessToken, 'META_ACCESS_TOKEN', spec.kind),
          adAccountId: spec.account as string,
          conversionAction: spec.conversionAction ?? undefined,
          pollIntervalMs: env.metaPollIntervalMs,
          maxPolls: env.metaMaxPolls,
        },
        env.http,
      );
    case 'GA4':
      return ga4Connector(
        { baseUrl: env.ga4DataApiUrl, propertyId: spec.account as string, pageSize: 100_000 },
        google(),
        env.http,
      );
    case 'POSTGRES':
      return postgresConnector({
        connectionString: need(env.postgresUrl, 'POSTGRES_SOURCE_URL', spec.kind),
        query: spec.query as string,
        statementTimeoutMs: env.sqlStatementTimeoutMs,
      });
    case 'DUCKDB':
      return duckDbConnector({
        root: need(env.duckDbRoot, 'DUCKDB_SOURCE_ROOT', spec.kind),
        file: spec.file as string,
        query: spec.query as string,
        memoryLimit: env.duckDbMemoryLimit,
        threads: env.duckDbThreads,
      });
  }
}
