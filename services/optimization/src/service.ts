import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  connectNats,
  createLogger,
  provisionJetStream,
  scopedKv,
  startSubgraph,
  type Logger,
} from '@mmm/platform';
import { createScenarioBook } from './domain/scenarios';
import { resolvers, type OptimizationContext } from './resolvers';

export interface OptimizationOptions {
  NATS_URL: string;
  PORT: number;
  DEFAULT_WORKSPACE: string;
  NATS_REPLICAS: number;
  /** 0.0.0.0 by default; tests pass 127.0.0.1. */
  host?: string;
  logger?: Logger;
  /** Register with the platform's shutdown hooks (main does; tests stop by hand). */
  registerShutdown?: boolean;
}

export interface OptimizationService {
  url: string;
  stop(): Promise<void>;
}

// tsc does not copy the schema: from dist/src it is two levels up, in src/.
function schemaFile(): string {
  const beside = path.join(__dirname, 'schema.graphql');
  return existsSync(beside) ? beside : path.join(__dirname, '..', '..', 'src', 'schema.graphql');
}

/** Connects to NATS, opens its bucket and serves the optimization subgraph. */
export async function startOptimization(
  options: OptimizationOptions,
): Promise<OptimizationService> {
  const logger = options.logger ?? createLogger('optimization');
  const nc = await connectNats({
    NATS_URL: options.NATS_URL,
    SERVICE_NAME: 'optimization',
    logger,
  });
  try {
    const { kv } = await provisionJetStream(nc, { replicas: options.NATS_REPLICAS });
    const subgraph = await startSubgraph<OptimizationContext>({
      name: 'optimization',
      typeDefs: readFileSync(schemaFile(), 'utf8'),
      resolvers,
      port: options.PORT,
      host: options.host,
      nats: nc,
      logger,
      defaultWorkspace: options.DEFAULT_WORKSPACE,
      registerShutdown: options.registerShutdown,
      context: (base) => ({
        ...base,
        scenarios: createScenarioBook(scopedKv(kv.scenarios, base.workspaceId)),
      }),
    });
    return {
      url: subgraph.url,
      async stop() {
        await subgraph.stop();
        await nc.drain();
      },
    };
  } catch (err) {
    await nc.close();
    throw err;
  }
}
