import { telemetry } from './telemetry';
import { createLogger, handleSignals, onShutdown, setDefaultLogLevel } from '@mmm/platform';
import { readConfig } from './config';
import { coreSyntheticSource } from './domain/synthetic';
import { DEFAULT_PORT, SERVICE_NAME, startIngestion } from './service';

async function main(): Promise<void> {
  const config = readConfig();
  setDefaultLogLevel(config.LOG_LEVEL);
  const logger = createLogger(config.SERVICE_NAME ?? SERVICE_NAME);
  // Before anything starts, so a signal during start-up still runs the hooks registered so far.
  handleSignals({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  const ingestion = await startIngestion({
    config,
    port: config.PORT ?? DEFAULT_PORT,
    synthetic: coreSyntheticSource(),
    logger,
    registerShutdown: true,
  });
  // The HTTP server stops first (its own hook); then the KV watch and the NATS drain.
  onShutdown('nats', () => ingestion.stop(), 'nats');
  onShutdown('telemetry', () => telemetry.shutdown(), 'telemetry');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ingestion failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
