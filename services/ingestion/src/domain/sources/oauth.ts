import { SourceError } from './errors';
import { exchange, type HttpPolicy } from './http';

export interface GoogleCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

/**
 * Google's OAuth2 refresh-token flow: an access token, kept until a minute before it expires
 * and renewed on demand (a 401 from the API makes the connector call `refresh`).
 */
export function googleAccessTokens(credentials: GoogleCredentials, policy: HttpPolicy) {
  let token: { value: string; expiresAt: number } | null = null;

  async function refresh(): Promise<string> {
    const answer = await exchange(
      credentials.tokenUrl,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
          refresh_token: credentials.refreshToken,
        }).toString(),
      },
      policy,
    );
    const body = answer.body as {
      access_token?: string;
      expires_in?: number;
      error?: string;
      error_description?: string;
    } | null;
    if (answer.status !== 200 || typeof body?.access_token !== 'string') {
      const why = body?.error
        ? `${body.error}${body.error_description ? `: ${body.error_description}` : ''}`
        : `HTTP ${answer.status}`;
      throw new SourceError(
        'SOURCE_AUTH_FAILED',
        `Google OAuth refused the refresh token (${why}); renew the credentials.`,
      );
    }
    token = { value: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000 };
    return token.value;
  }

  return {
    async current(): Promise<string> {
      if (token !== null && token.expiresAt - 60_000 > Date.now()) return token.value;
      return refresh();
    },
    refresh,
  };
}
