import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A registry with Node's default metrics, labelled by service. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export interface ResolverMetrics {
  duration: Histogram<'field' | 'outcome'>;
  calls: Counter<'field' | 'outcome'>;
  requests: Counter<'operation' | 'outcome'>;
}

export function createResolverMetrics(registry: Registry): ResolverMetrics {
  return {
    duration: new Histogram({
      name: 'graphql_resolver_duration_seconds',
      help: 'Time spent in a resolver, by Type.field and outcome (ok or error).',
      labelNames: ['field', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    calls: new Counter({
      name: 'graphql_resolver_calls_total',
      help: 'Resolver calls, by Type.field and outcome (ok or error).',
      labelNames: ['field', 'outcome'],
      registers: [registry],
    }),
    requests: new Counter({
      name: 'graphql_requests_total',
      help: 'GraphQL operations, by operation name and outcome (ok or error).',
      labelNames: ['operation', 'outcome'],
      registers: [registry],
    }),
  };
}

/**
 * Measures the resolvers the service wrote (`measured` holds "Type.field");
 * default property resolvers are skipped so the label set stays small.
 */
export function resolverMetricsPlugin<C extends BaseContext>(
  metrics: ResolverMetrics,
  measured: Set<string>,
): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async executionDidStart() {
          return {
            willResolveField({ info }) {
              const field = `${info.parentType.name}.${info.fieldName}`;
              if (!measured.has(field)) return;
              const end = metrics.duration.startTimer({ field });
              return (error) => {
                const outcome = error ? 'error' : 'ok';
                end({ outcome });
                metrics.calls.inc({ field, outcome });
              };
            },
          };
        },
        async willSendResponse({ operationName, errors, response }) {
          const failed =
            Boolean(errors?.length) ||
            (response.body.kind === 'single' && Boolean(response.body.singleResult.errors?.length));
          metrics.requests.inc({
            operation: operationName ?? 'anonymous',
            outcome: failed ? 'error' : 'ok',
          });
        },
      };
    },
  };
}

/**
 * Messaging metrics live in one process-wide registry (publishers and
 * consumers do not know the subgraph); every /metrics endpoint of the kit
 * serves it next to its own.
 */
export const messagingRegistry = new Registry();

export const messagingMetrics = {
  published: new Counter({
    name: 'nats_messages_published_total',
    help: 'Messages published to JetStream, by subject and whether JetStream found them duplicate.',
    labelNames: ['subject', 'duplicate'],
    registers: [messagingRegistry],
  }),
  processed: new Counter({
    name: 'nats_messages_processed_total',
    help: 'Messages handled, by subject and outcome (ok, retry, dead_letter, handed_back, ack_unconfirmed).',
    labelNames: ['subject', 'outcome'],
    registers: [messagingRegistry],
  }),
  duration: new Histogram({
    name: 'nats_message_handler_duration_seconds',
    help: 'Time spent in message handlers, by subject.',
    labelNames: ['subject'],
    buckets: [0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600],
    registers: [messagingRegistry],
  }),
};

/** The text of a registry plus the messaging metrics, for a /metrics endpoint. */
export async function metricsText(registry: Registry): Promise<string> {
  return Registry.merge([registry, messagingRegistry]).metrics();
}
