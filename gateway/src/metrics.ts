import type { ApolloServerPlugin } from '@apollo/server';
import { createMetricsRegistry } from '@mmm/platform';
import { Counter, Histogram, type Registry } from 'prom-client';

export interface GatewayMetrics {
  registry: Registry;
  plugin: ApolloServerPlugin;
  /** Counts a request refused at the door (401, 403, 413, 429, 504), by error code. */
  refused(code: string): void;
  /** Counts an audit record that could not be stored. */
  auditFailed(): void;
  /** Counts a request and its duration by operation name and outcome. */
  observe(operationName: string | undefined, outcome: 'ok' | 'error', seconds: number): void;
  /** Counts a request answered by forwarding, without Apollo's pipeline (forwarding.ts). */
  forwarded(operationName: string | undefined): void;
  /** Counts a forwarded request handed back to Apollo, by reason (unavailable, errors, ...). */
  forwardFellBack(reason: string): void;
}

// Operation names come from clients; past this many distinct names new ones are counted as
// 'other' so that a careless or hostile client cannot blow up the series count.
const MAX_OPERATION_NAMES = 200;

/**
 * Prometheus metrics of the gateway: process defaults plus GraphQL requests by operation name and
 * outcome (ok, or error when the response carries errors, partial data included).
 */
export function createGatewayMetrics(): GatewayMetrics {
  const registry = createMetricsRegistry('gateway');
  const labelNames = ['operation', 'outcome'] as const;
  const requests = new Counter({
    name: 'gateway_graphql_requests_total',
    help: 'GraphQL requests served by the gateway, by operation name and outcome.',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'gateway_graphql_request_duration_seconds',
    help: 'Time from receiving a GraphQL request to sending its response.',
    labelNames,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const seen = new Set<string>();
  const operationLabel = (name: string | undefined | null): string => {
    if (!name) return 'anonymous';
    if (seen.has(name)) return name;
    if (seen.size >= MAX_OPERATION_NAMES || name.length > 64) return 'other';
    seen.add(name);
    return name;
  };

  const observe: GatewayMetrics['observe'] = (operationName, outcome, seconds) => {
    const labels = { operation: operationLabel(operationName), outcome };
    requests.inc(labels);
    duration.observe(labels, seconds);
  };

  const plugin: ApolloServerPlugin = {
    async requestDidStart() {
      const startedAt = performance.now();
      return {
        async willSendResponse({ request, operationName, errors }) {
          observe(
            operationName ?? request.operationName ?? undefined,
            errors && errors.length > 0 ? 'error' : 'ok',
            (performance.now() - startedAt) / 1000,
          );
        },
      };
    },
  };
  const refusals = new Counter({
    name: 'gateway_refused_requests_total',
    help: 'Requests the gateway refused before or instead of running them, by error code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const forwards = new Counter({
    name: 'gateway_forwarded_requests_total',
    help: 'GraphQL requests answered by forwarding a one-subgraph query without Apollo (also counted in gateway_graphql_requests_total).',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  const fallbacks = new Counter({
    name: 'gateway_forward_fallbacks_total',
    help: 'Forwarded requests handed back to Apollo: the subgraph unavailable, or its answer not 200, not JSON, without data or with errors.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const auditFailures = new Counter({
    name: 'gateway_audit_failures_total',
    help: 'Audit records that could not be stored on NATS (each is logged whole).',
    registers: [registry],
  });
  return {
    registry,
    plugin,
    refused: (code) => refusals.inc({ code }),
    auditFailed: () => auditFailures.inc(),
    observe,
    forwarded: (operationName) => forwards.inc({ operation: operationLabel(operationName) }),
    forwardFellBack: (reason) => fallbacks.inc({ reason }),
  };
}
