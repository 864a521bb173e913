import { telemetry } from './telemetry';
import { readFileSync } from 'node:fs';
import {
  connectNats,
  createLogger,
  handleSignals,
  jetStreamClient,
  onShutdown,
} from '@mmm/platform';
import { gatewayConfig } from './config';
import { createGateway } from './gateway';

async function main(): Promise<void> {
  const config = gatewayConfig();
  const logger = createLogger(config.serviceName, { level: config.logLevel });
  // NATS carries the audit trail; the gateway serves without it (records are logged instead).
  const nc = await connectNats({ NATS_URL: config.natsUrl, name: config.serviceName, logger });
  const gateway = createGateway({
    auditTo: jetStreamClient(nc),
    supergraphSdl: readFileSync(config.supergraphPath, 'utf8'),
    subgraphUrls: config.subgraphUrls,
    auth: { ...config.auth, signingSecret: config.signingSecret },
    maxBodyBytes: config.maxBodyBytes,
    maxUploadBytes: config.maxUploadBytes,
    rateLimitPerMinute: config.rateLimitPerMinute,
    requestTimeoutMs: config.requestTimeoutMs,
    pullTimeoutMs: config.pullTimeoutMs,
    introspection: config.introspection,
    limits: config.limits,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    shutdownReadyGraceMs: config.shutdownReadyGraceMs,
    logger,
  });
  onShutdown('gateway http', () => gateway.stop(), 'http');
  onShutdown('nats', () => nc.drain(), 'nats');
  onShutdown('telemetry', () => telemetry.shutdown(), 'telemetry');
  handleSignals({
    logger,
    timeoutMs: config.shutdownReadyGraceMs + config.shutdownTimeoutMs + 2_000,
  });
  const url = await gateway.start(config.port);
  logger.info('gateway ready', { url, supergraph: config.supergraphPath });
}

main().catch((err: unknown) => {
  // The same one line as the subgraphs' runService.
  process.stderr.write(
    `gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
