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
import { createAttributionBook } from './domain/attributions';
import { resolvers, type AttributionContext } from './resolvers';

export interface AttributionOptions {
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

export interface AttributionService {
  url: string;
  stop(): Promise<void>;
}

// tsc does not copy the schema: from dist/src it is two levels up, in src/.
function schemaFile(): string {
  const beside = path.join(__dirname, 'schema.graphql');
  return existsSync(beside) ? beside : path.join(__dirname, '..', '..', 'src', 'schema.graphql');
}

/** Connects to NATS, opens its bucket and serves the attribution subgraph. */
export async function startAttribution(options: AttributionOptions): Promise<AttributionService> {
  const logger = options.logger ?? createLogger('attribution');
  const nc = await connectNats({ NATS_URL: options.NATS_URL, SERVICE_NAME: 'attribution', logger });
  try {
    const { kv } = await provisionJetStream(nc, { replicas: options.NATS_REPLICAS });
    const subgraph = await startSubgraph<AttributionContext>({
      name: 'attribution',
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
        attributions: createAttributionBook(scopedKv(kv.attributions, base.workspaceId)),
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
