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
 * an unused variable), variables the API schema refuses, a role too low, a body over the limit,
 * an Accept header Apollo would refuse. When the subgraph's answer carries errors or is not a
 * 200, Apollo shapes and masks it from that same answer (GatewayContext.offeredAnswer: the
 * subgraph is not asked twice); when the subgraph did not answer, Apollo tries again and reports it.
 */
import type { Experimental_DidResolveQueryPlanCallback } from '@apollo/gateway';
import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { requiredRole, roleAtLeast, type Role } from '@mmm/platform';
import {
  getVariableValues,
  Kind,
  parse,
  print,
  stripIgnoredCharacters,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';
import Negotiator from 'negotiator';
import type { GatewayContext } from './context';
import type { GatewayMetrics } from './metrics';
import { subgraphRequestHeaders } from './subgraph-source';
import { postToSubgraph, type SubgraphHttpResponse } from './subgraph-http';

type QueryPlan = Parameters<Experimental_DidResolveQueryPlanCallback>[0]['queryPlan'];

/** An operation whose plan is one fetch from one subgraph, with the client's own selection. */
interface ForwardableOperation {
  subgraph: string;
  url: URL;
  /** The fetch's operation and name, sent as the full path would send them. */
  operation: string;
  operationName: string | undefined;
  variableNames: readonly string[];
  /** The client's variable definitions, checked against the API schema as Apollo checks them. */
  variableDefinitions: readonly VariableDefinitionNode[];
  /** The least role that may run every root field. */
  role: Role;
  /** The operation's name for the metrics (the resolved one, as Apollo's plugin sees it). */
  metricsName: string | undefined;
}

export interface LearnedPlan {
  queryPlan: QueryPlan;
  /** The schema clients see (the API schema), which Apollo checks variables against. */
  schema: GraphQLSchema;
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
  /** The subgraph's answer as Apollo would give it, or undefined: then Apollo runs the request. */
  forward(request: ForwardRequest): Promise<HTTPGraphQLResponse | undefined>;
}

export interface ForwardingOptions {
  /** Subgraph name -> URL, as the gateway's data sources reach them. */
  subgraphUrls: ReadonlyMap<string, string>;
  signingSecret: string;
  /** Bodies above this go through Apollo, which refuses them. */
  maxBodyBytes: number;
  /** Counts forwarded requests, and those handed back to Apollo with the reason. */
  metrics: Pick<GatewayMetrics, 'observe' | 'forwarded' | 'forwardFellBack'>;
}

// Distinct query texts are the clients' to choose: past this many the memory starts over, and a
// longer text (a front-end's queries are a few hundred bytes; comments can pad one to the body
// limit) is not remembered: at most 1000 texts of 8 KiB and their fetches, some 16-32 MiB.
const MAX_OPERATIONS = 1000;
const MAX_QUERY_LENGTH = 8 * 1024;

// The single-result media types Apollo Server offers, in its order of preference
// (chooseContentTypeForSingleResultResponse in @apollo/server).
const MEDIA_TYPES = [
  'application/json; charset=utf-8',
  'application/graphql-response+json; charset=utf-8',
  'application/json; callbackSpec=1.0; charset=utf-8',
];

/** The content type Apollo would answer a single result with, or undefined where it says 406. */
function negotiatedContentType(accept: string | undefined): string | undefined {
  if (!accept) return MEDIA_TYPES[0];
  return new Negotiator({ headers: { accept } }).mediaType(MEDIA_TYPES);
}

const tracer = trace.getTracer('mmm-gateway');

/** The operation without its name, printed without ignored characters. */
function canonical(operation: OperationDefinitionNode): string {
  return stripIgnoredCharacters(print({ ...operation, name: undefined }));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Query text and operation name as one key that no other pair of them can spell. */
const keyOf = (query: string, operationName: string | undefined | null) =>
  JSON.stringify([operationName ?? null, query]);

export function createForwarding(options: ForwardingOptions): Forwarding {
  const operations = new Map<string, ForwardableOperation>();
  let schema: GraphQLSchema | undefined;

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
      variableDefinitions: operation.variableDefinitions ?? [],
      role,
      metricsName: plan.resolvedOperationName ?? undefined,
    };
  }

  /** The variables the fetch uses, taken as Apollo's executor takes them. */
  function fetchVariables(route: ForwardableOperation, provided: Record<string, unknown> | null) {
    const variables = Object.create(null) as Record<string, unknown>;
    for (const name of route.variableNames) {
      if (provided && Object.hasOwn(provided, name) && provided[name] !== undefined) {
        variables[name] = provided[name];
      }
    }
    return variables;
  }

  async function post(route: ForwardableOperation, body: string, context: GatewayContext) {
    return tracer.startActiveSpan(
      'gateway.fetch',
      { kind: SpanKind.CLIENT, attributes: { 'mmm.subgraph': route.subgraph } },
      async (span) => {
        try {
          return await postToSubgraph(
            route.url,
            subgraphRequestHeaders(context, options.signingSecret),
            body,
          );
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
          return undefined;
        } finally {
          span.end();
        }
      },
    );
  }

  /** The answer's data when Apollo would pass it on untouched; otherwise why not. */
  function dataOf(answer: SubgraphHttpResponse): { data: unknown } | { reason: string } {
    if (answer.status !== 200) return { reason: 'status' };
    let result: unknown;
    try {
      result = JSON.parse(answer.body);
    } catch {
      return { reason: 'not_json' };
    }
    if (!isObject(result) || !isObject(result.data)) return { reason: 'no_data' };
    if (result.errors !== undefined) return { reason: 'errors' };
    return { data: result.data };
  }

  return {
    learn(plan) {
      schema = plan.schema;
      if (typeof plan.query !== 'string' || plan.query.length > MAX_QUERY_LENGTH) return;
      const key = keyOf(plan.query, plan.operationName);
      if (operations.has(key)) return;
      const route = forwardable(plan);
      if (!route) return;
      if (operations.size >= MAX_OPERATIONS) operations.clear();
      operations.set(key, route);
    },

    async forward({ body, accept, bodyBytes, context }) {
      if (!isObject(body) || bodyBytes > options.maxBodyBytes || !schema) return;
      const { query, operationName, variables } = body;
      if (typeof query !== 'string' || body.extensions !== undefined) return;
      if (operationName != null && (typeof operationName !== 'string' || operationName === '')) {
        return;
      }
      if (variables != null && !isObject(variables)) return;
      const route = operations.get(keyOf(query, operationName));
      if (!route || !roleAtLeast(context.identity.role, route.role)) return;
      const contentType = negotiatedContentType(accept);
      if (!contentType) return;
      if (route.variableDefinitions.length > 0) {
        const checked = getVariableValues(schema, route.variableDefinitions, variables ?? {});
        if (checked.errors) return;
      }

      const startedAt = performance.now();
      const sent = JSON.stringify({
        query: route.operation,
        variables: fetchVariables(route, variables ?? null),
        operationName: route.operationName,
      });
      const answer = await post(route, sent, context);
      if (!answer) {
        options.metrics.forwardFellBack('unavailable');
        return;
      }
      const outcome = dataOf(answer);
      if ('reason' in outcome) {
        options.metrics.forwardFellBack(outcome.reason);
        context.offeredAnswer = { subgraph: route.subgraph, body: sent, answer };
        return;
      }
      options.metrics.observe(route.metricsName, 'ok', (performance.now() - startedAt) / 1000);
      options.metrics.forwarded(route.metricsName);
      return {
        status: 200,
        headers: new HeaderMap([['content-type', contentType]]),
        body: { kind: 'complete', string: JSON.stringify({ data: outcome.data }) + '\n' },
      };
    },
  };
}
