import path from 'node:path';
import { ConfigError } from '@mmm/platform';
import { parseGatewayConfig } from '../src';

const SECRETS = {
  GATEWAY_SIGNING_SECRET: 's'.repeat(32),
  AUTH_JWT_SECRET: 'j'.repeat(32),
};

describe('the gateway configuration', () => {
  it('defaults to port 4000, the committed supergraph, no URL overrides, and a closed door', () => {
    const config = parseGatewayConfig(SECRETS);
    expect(config).toMatchObject({
      port: 4000,
      serviceName: 'gateway',
      subgraphUrls: {},
      introspection: false,
      maxBodyBytes: 1024 * 1024,
      maxUploadBytes: 50 * 1024 * 1024,
      rateLimitPerMinute: 1200,
      requestTimeoutMs: 30_000,
      limits: { depth: 15, cost: 50_000, aliases: 30, directives: 50, tokens: 5_000 },
      auth: { jwtSecret: 'j'.repeat(32), clockSkewSeconds: 30 },
      signingSecret: 's'.repeat(32),
    });
    expect(path.basename(config.supergraphPath)).toBe('supergraph.graphql');
  });

  it('takes each subgraph URL from its own variable', () => {
    const config = parseGatewayConfig({
      ...SECRETS,
      INGESTION_URL: 'http://ingestion:4001/graphql',
      REPORTING_URL: 'http://reporting.mmm.svc:8080/graphql',
      PORT: '8000',
    });
    expect(config.port).toBe(8000);
    expect(config.subgraphUrls).toEqual({
      ingestion: 'http://ingestion:4001/graphql',
      reporting: 'http://reporting.mmm.svc:8080/graphql',
    });
  });

  it('names the wrong variable and what it expected in one line', () => {
    expect(() => parseGatewayConfig({ MODELING_URL: 'modeling:4002' })).toThrow(
      new ConfigError(
        'MODELING_URL',
        'must be an http(s) URL such as http://127.0.0.1:4001/graphql',
        'modeling:4002',
      ),
    );
    expect(() => parseGatewayConfig({ ...SECRETS, MAX_BODY_BYTES: '-1' })).toThrow(
      'config error: MAX_BODY_BYTES must be a positive integer (bytes), got "-1"',
    );
  });

  it('will not start without the signing secret, or without a way to verify tokens', () => {
    expect(() => parseGatewayConfig({ AUTH_JWT_SECRET: 'j'.repeat(32) })).toThrow(
      'config error: GATEWAY_SIGNING_SECRET is required',
    );
    expect(() => parseGatewayConfig({ GATEWAY_SIGNING_SECRET: 's'.repeat(32) })).toThrow(
      'config error: AUTH_JWT_SECRET or AUTH_JWKS_URL is required',
    );
    expect(() => parseGatewayConfig({ ...SECRETS, AUTH_JWT_SECRET: 'short' })).toThrow(
      'AUTH_JWT_SECRET must be at least 32 characters',
    );
    const jwks = parseGatewayConfig({
      GATEWAY_SIGNING_SECRET: 's'.repeat(32),
      AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
      AUTH_ISSUER: 'https://idp.example.com/',
      AUTH_AUDIENCE: 'mmm',
    });
    expect(jwks.auth).toMatchObject({
      jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
      issuer: 'https://idp.example.com/',
      audience: 'mmm',
    });
  });
});
