import path from 'node:path';
import { ConfigError } from '@mmm/platform';
import { parseGatewayConfig } from '../src';

describe('the gateway configuration', () => {
  it('defaults to port 4000, the committed supergraph and no URL overrides', () => {
    const config = parseGatewayConfig({});
    expect(config).toMatchObject({
      port: 4000,
      serviceName: 'gateway',
      defaultWorkspace: 'default',
      subgraphUrls: {},
    });
    expect(path.basename(config.supergraphPath)).toBe('supergraph.graphql');
  });

  it('takes each subgraph URL from its own variable', () => {
    const config = parseGatewayConfig({
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
    expect(() => parseGatewayConfig({ MAX_BODY_BYTES: '-1' })).toThrow(
      'config error: MAX_BODY_BYTES must be a positive integer (bytes), got "-1"',
    );
  });
});
