import { randomUUID } from 'node:crypto';
import {
  connectNats,
  createLogger,
  openStorage,
  startService,
  startTelemetry,
  subscribeEvents,
  type EventMessage,
  type NatsConnection,
  type RunningService,
  type Subscription,
} from '@mmm/platform';
import * as testkit from '@mmm/platform/testkit';
import { eventually } from '@mmm/platform/testkit';
import { parseIngestionConfig } from '../src/config';
import { ingestionService } from '../src/service';

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export interface ReceivedEvent {
  name: 'dataset.ingested' | 'dataset.deleted';
  message: EventMessage<'dataset.ingested'> | EventMessage<'dataset.deleted'>;
  msgId: string | undefined;
  traceparent: string | undefined;
}

/** A real nats-server, the service in-process on a free port, and an event listener. */
export interface Rig {
  server: testkit.NatsServer;
  ingestion: RunningService;
  url: string;
  events: ReceivedEvent[];
  /** A workspace no other test uses, so state never leaks between tests. */
  workspace(): string;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    workspace?: string,
  ): Promise<GraphQLResponse<T>>;
  /** Keys of the datasets bucket and names in the object store for a workspace. */
  stored(workspace: string): Promise<{ keys: string[]; objects: string[] }>;
  eventsOf(workspace: string): ReceivedEvent[];
  stop(): Promise<void>;
}

/** Ingestion as its main starts it (startService), on a free loopback port. */
export function startIngestion(natsUrl: string, env: Record<string, string> = {}) {
  return startService(ingestionService, {
    config: parseIngestionConfig({
      NATS_URL: natsUrl,
      SHUTDOWN_READY_GRACE_MS: '0',
      GATEWAY_SIGNING_SECRET: testkit.TEST_SIGNING_SECRET,
      ...env,
    }),
    port: 0,
    host: '127.0.0.1',
    logger: createLogger('ingestion', { level: 'silent' }),
  });
}

/** `env`: the service's own variables (e.g. the data sources' base URLs and credentials). */
export async function startRig(env: Record<string, string> = {}): Promise<Rig> {
  // As main.ts does first: without it no trace context would cross NATS.
  startTelemetry('ingestion-test');
  const server = await testkit.startNatsServer();
  const ingestion = await startIngestion(server.url, env);
  const listener: NatsConnection = await connectNats({
    NATS_URL: server.url,
    name: 'test-listener',
  });
  const events: ReceivedEvent[] = [];
  const subscription: Subscription = await subscribeEvents(
    (await openStorage(listener)).js,
    ['dataset.ingested', 'dataset.deleted'],
    async (delivery) => {
      events.push({
        name: delivery.name,
        message: delivery.message,
        msgId: delivery.msgId,
        traceparent: delivery.headers?.get('traceparent') || undefined,
      });
    },
    { deliver: 'all' },
  );
  const url = ingestion.url;

  return {
    server,
    ingestion,
    url,
    events,
    workspace: () => `ws-${randomUUID().slice(0, 8)}`,
    async gql<T>(query: string, variables: Record<string, unknown> = {}, workspace?: string) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...testkit.gatewayHeaders({ workspace }),
        },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLResponse<T>;
    },
    async stored(workspace: string) {
      const keys: string[] = [];
      for await (const key of await ingestion.storage.kv.datasets.keys(`${workspace}.>`)) {
        keys.push(key);
      }
      const objects = (await ingestion.storage.files.list())
        .filter((info) => !info.deleted && info.name.startsWith(`${workspace}.`))
        .map((info) => info.name);
      return { keys, objects };
    },
    eventsOf: (workspace: string) => events.filter((e) => e.message.workspaceId === workspace),
    async stop() {
      await subscription.stop();
      await listener.close();
      await ingestion.stop();
      await server.stop();
    },
  };
}

// Events and KV watches arrive asynchronously.
export { eventually };

/** Lets in-flight events land before asserting that none arrived. */
export const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));
