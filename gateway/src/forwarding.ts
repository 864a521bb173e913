/**
 * Forwarding of one-subgraph queries. Most reads a front-end sends (a list, a dataset, a model)
 * are answered by one subgraph, and their query plan is a single fetch whose operation is the
 * client's own. For those, Apollo's request pipeline and the plan's execution and result shaping
 * add nothing but CPU: the gateway posts the fetch's operation to the subgraph itself and answers
 * with the subgraph's data.
 *
 * An operation is forwarded only once Apollo has run it: the full pipeline parsed and validated
 * it (query limits included), planned it, and reported the plan here (learn). Anything this path
 * does not answer exactly as Apollo would goes through Apollo instead: a mutation, a plan of
 * more than one fetch or with rewrites, an operation the planner changed (fragments, __typename,
 * an unused variable), an answer carrying errors or not 200 (the error is Apollo's to shape and
 * mask; a query can safely run again), a subgraph that did not answer, a role too low, a body
 * over the limit, an Accept header not seen before.
 */
import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import type { Experimental_DidResolveQueryPlanCallback } from '@apollo/gateway';
import { SpanKind, trace } from '@opentelemetry/api';
import { requiredRole, roleAtLeast, type Role } from '@mmm/platform';
import {
  Kind,
  parse,
  print,
  stripIgnoredCharacters,
  type DocumentNode,
  type OperationDefinitionNode,
} from 'graphql';
import type { GatewayContext } from './context';
import type { GatewayMetrics } from './metrics';
import { subgraphRequestHeaders } from './subgraph-source';
import { postToSubgraph } from './subgraph-http';

/** An operation whose plan is one fetch from one subgraph, with the client's own selection. */
interface ForwardableOperation {
  subgraph: string;
  url: URL;
  /** The fetch's operation and name, sent as the full path would send them. */
  operation: string;
  operationName: string | undefined;
  variableNames: readonly string[];
  /** The least role that may run every root field. */
  role: Role;
  /** The operation's name for the metrics (the resolved one, as Apollo's plugin sees it). */
  metricsName: string | undefined;
}

type QueryPlan = Parameters<Experimental_DidResolveQueryPlanCallback>[0]['queryPlan'];

export interface LearnedPlan {
  queryPlan: QueryPlan;
  /** The query text and operation name the client sent. */
  query: string | undefined;
  operationName: string | undefined | null;
  document: DocumentNode;
  operation: OperationDefinitionNode | undefined;
  resolvedOperationName: string | null | undefined;
}

export interface ForwardRequest {
  body: unknown;
  /** The client's Accept header, if any. */
  accept: string | undefined;
  bodyBytes: number;
  context: GatewayContext;
}

export interface Forwarding {
  /** Called with each plan Apollo resolved; remembers those that can be forwarded. */
  learn(plan: LearnedPlan): void;
  /** Remembers the content type Apollo chose for an Accept header (it negotiates it). */
  learnContentType(accept: string | undefined, contentType: string | undefined): void;
  /** The subgraph's answer as Apollo would give it, or undefined: then Apollo runs the request. */
  forward(request: ForwardRequest): Promise<HTTPGraphQLResponse | undefined>;
  /** How many operations are remembered (for tests). */
  size(): number;
}

export interface ForwardingOptions {
  /** Subgraph name -> URL, as the gateway's data sources reach them. */
  subgraphUrls: ReadonlyMap<string, string>;
  signingSecret: string;
  /** Bodies above this go through Apollo, which refuses them. */
  maxBodyBytes: number;
  /** Counts a forwarded request as the metrics plugin counts one Apollo ran, and as forwarded. */
  metrics: Pick<GatewayMetrics, 'observe' | 'forwarded'>;
}

// Distinct query texts are the clients' to choose: past this many the memory starts over, and a
// longer text (a front-end's queries are a few hundred bytes; comments can pad one to the body
// limit) is not remembered, so the memory stays within a few MiB whatever clients send.
const MAX_OPERATIONS = 1000;
const MAX_QUERY_LENGTH = 8 * 1024;
const MAX_ACCEPT_HEADERS = 50;
const DEFAULT_CONTENT_TYPE = 'application/json; charset=utf-8';

const tracer = trace.getTracer('mmm-gateway');

/** The operation without its name, printed without ignored characters. */
function canonical(operation: OperationDefinitionNode): string {
  return stripIgnoredCharacters(print({ ...operation, name: undefined }));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const keyOf = (query: string, operationName: string | undefined | null) =>
  `${operationName ?? ''}\n${query}`;

export function createForwarding(options: ForwardingOptions): Forwarding {
  const operations = new Map<string, ForwardableOperation>();
  const contentTypes = new Map<string, string>();

  function forwardable(plan: LearnedPlan): ForwardableOperation | undefined {
    const node = plan.queryPlan.node;
    const operation = plan.operation;
    if (!node || node.kind !== 'Fetch' || !operation || operation.operation !== 'query') return;
    if (node.requires || node.inputRewrites || node.outputRewrites || node.contextRewrites) return;
    if (node.hasDefers || plan.document.definitions.length !== 1) return;
    const url = options.subgraphUrls.get(node.serviceName);
    if (!url) return;
    const fetched = (node.operationDocumentNode ?? parse(node.operation)).definitions[0];
    if (fetched?.kind !== Kind.OPERATION_DEFINITION) return;
    if (canonical(fetched) !== canonical(operation)) return;
    let role: Role = 'viewer';
    for (const selection of operation.selectionSet.selections) {
      if (selection.kind !== Kind.FIELD) return;
      const needed = requiredRole('query', selection.name.value);
      if (!roleAtLeast(role, needed)) role = needed;
    }
    return {
      subgraph: node.serviceName,
      url: new URL(url),
      operation: node.operation,
      operationName: node.operationName,
      variableNames: node.variableUsages ?? [],
      role,
      metricsName: plan.resolvedOperationName ?? undefined,
    };
  }

  return {
    size: () => operations.size,

    learn(plan) {
      if (typeof plan.query !== 'string' || plan.query.length > MAX_QUERY_LENGTH) return;
      const key = keyOf(plan.query, plan.operationName);
      if (operations.has(key)) return;
      const route = forwardable(plan);
      if (!route) return;
      if (operations.size >= MAX_OPERATIONS) operations.clear();
      operations.set(key, route);
    },

    learnContentType(accept, contentType) {
      if (!accept || !contentType || contentTypes.has(accept)) return;
      if (contentTypes.size >= MAX_ACCEPT_HEADERS) contentTypes.clear();
      contentTypes.set(accept, contentType);
    },

    async forward({ body, accept, bodyBytes, context }) {
      if (!isObject(body) || bodyBytes > options.maxBodyBytes) return;
      const { query, operationName, variables } = body;
      if (typeof query !== 'string' || body.extensions !== undefined) return;
      if (operationName != null && typeof operationName !== 'string') return;
      if (variables != null && !isObject(variables)) return;
      const route = operations.get(keyOf(query, operationName));
      if (!route || !roleAtLeast(context.identity.role, route.role)) return;
      const contentType = accept ? contentTypes.get(accept) : DEFAULT_CONTENT_TYPE;
      if (!contentType) return;

      const startedAt = performance.now();
      const sent: Record<string, unknown> = {};
      for (const name of route.variableNames) {
        if (variables && name in variables) sent[name] = variables[name];
      }
      const answer = await tracer.startActiveSpan(
        'gateway.fetch',
        { kind: SpanKind.CLIENT, attributes: { 'mmm.subgraph': route.subgraph } },
        async (span) => {
          try {
            return await postToSubgraph(
              route.url,
              subgraphRequestHeaders(context, options.signingSecret),
              JSON.stringify({
                query: route.operation,
                variables: sent,
                operationName: route.operationName,
              }),
            );
          } catch {
            // Did not answer: Apollo's path tries again and reports it the platform's way.
            return undefined;
          } finally {
            span.end();
          }
        },
      );
      if (!answer || answer.status !== 200) return;
      let result: unknown;
      try {
        result = JSON.parse(answer.body);
      } catch {
        return;
      }
      if (!isObject(result) || !isObject(result.data) || result.errors !== undefined) return;
      options.metrics.observe(route.metricsName, 'ok', (performance.now() - startedAt) / 1000);
      options.metrics.forwarded(route.metricsName);
      return {
        status: 200,
        headers: new HeaderMap([['content-type', contentType]]),
        body: { kind: 'complete', string: JSON.stringify({ data: result.data }) + '\n' },
      };
    },
  };
}
