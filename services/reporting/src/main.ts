import { telemetry } from './telemetry';
import { createLogger, handleSignals, onShutdown, setDefaultLogLevel } from '@mmm/platform';
import { reportingConfig } from './config';
import { startReporting } from './service';

async function main(): Promise<void> {
  const config = reportingConfig();
  setDefaultLogLevel(config.LOG_LEVEL);
  const logger = createLogger(config.SERVICE_NAME);
  handleSignals({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  // The subgraph registers its own HTTP stop; NATS drains after it.
  const service = await startReporting({ ...config, logger, registerShutdown: true });
  onShutdown('nats', () => service.stop(), 'nats');
  onShutdown('telemetry', () => telemetry.shutdown(), 'telemetry');
}

main().catch((err: unknown) => {
  process.stderr.write(`reporting failed to start: ${String(err)}\n`);
  process.exit(1);
});
