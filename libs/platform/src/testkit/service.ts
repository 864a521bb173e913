import { parseConfig, type BaseConfig } from '../config';
import { createLogger } from '../logger';
import { startService, type RunningService, type ServiceDefinition } from '../service';
import type { SubgraphContext } from '../subgraph';
import { gatewayHeaders, TEST_SIGNING_SECRET, type TestCaller } from './identity';
import { startNatsServer, type NatsServer } from './nats-server';

export interface GraphQLReply {
  // Loose on purpose: tests look at whatever the service sent.
  data?: Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** A service on a free loopback port over its own nats-server, and a GraphQL client for it. */
export interface ServiceUnderTest {
  nats: NatsServer;
  service: RunningService;
  /**
   * POSTs a query as the gateway would send it: signed for an admin of the workspace given
   * (`default` otherwise), or for the caller given.
   */
  query(
    query: string,
    workspace?: string,
    variables?: Record<string, unknown>,
    caller?: TestCaller,
  ): Promise<GraphQLReply>;
  /** GETs a path beside /graphql (e.g. /readyz). */
  get(path: string): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * Starts a service as its main would (startService), on a fresh nats-server with a temp store,
 * with silent logs and no shutdown hooks; tests stop it with `stop()`.
 */
export async function startServiceForTest<C extends SubgraphContext, Cfg extends BaseConfig>(
  definition: ServiceDefinition<C, Cfg>,
  options: {
    /** Variables beside NATS_URL (which points at the test's server). */
    env?: Record<string, string>;
    /** The service's own parse (its config module) when it adds variables. */
    parse?: (env: Record<string, string>) => Cfg;
  } = {},
): Promise<ServiceUnderTest> {
  const nats = await startNatsServer();
  try {
    const env = {
      SHUTDOWN_READY_GRACE_MS: '0',
      GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
      ...options.env,
      NATS_URL: nats.url,
    };
    const config = options.parse ? options.parse(env) : (parseConfig(env) as Cfg);
    const service = await startService(definition, {
      config,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger(definition.name, { level: 'silent' }),
    });
    const base = service.url.replace(/\/graphql$/, '');
    return {
      nats,
      service,
      async query(query, workspace, variables, caller) {
        const res = await fetch(service.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...gatewayHeaders({ workspace, ...caller }),
          },
          body: JSON.stringify({ query, variables }),
        });
        return (await res.json()) as GraphQLReply;
      },
      get: (path) => fetch(base + path),
      async stop() {
        await service.stop();
        await nats.stop();
      },
    };
  } catch (error) {
    await nats.stop();
    throw error;
  }
}

/** Waits until a probe answers something truthy (watches and events arrive asynchronously). */
export async function eventually<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 5000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
