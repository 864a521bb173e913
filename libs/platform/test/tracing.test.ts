import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  connectNats,
  createLogger,
  provisionJetStream,
  publishEvent,
  startSubgraph,
  startTelemetry,
  subscribeEvents,
  type Provisioned,
  type Subgraph,
  type SubgraphContext,
  type Telemetry,
} from '../src';
import * as testkit from '../src/testkit';

jest.setTimeout(30_000);

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
let server: testkit.NatsServer;
let nc: NatsConnection;
let provisioned: Provisioned;
let subgraph: Subgraph;
const logLines: Array<Record<string, unknown>> = [];

// The "caller" (the gateway) is simulated by the trace parent it would send.
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

beforeAll(async () => {
  telemetry = startTelemetry('tracing-test', {
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  server = await testkit.startNatsServer({ jetstream: true });
  nc = await connectNats({ NATS_URL: server.url });
  provisioned = await provisionJetStream(nc);
  const logger = createLogger('tracing-test', {
    level: 'debug',
    write: (line) => logLines.push(JSON.parse(line) as Record<string, unknown>),
  });
  subgraph = await startSubgraph<SubgraphContext>({
    name: 'tracing-test',
    port: 0,
    host: '127.0.0.1',
    logger,
    nats: nc,
    registerShutdown: false,
    signingSecret: testkit.TEST_SIGNING_SECRET,
    typeDefs: `
      type Query { ping: String }
      type Mutation { deleteDataset(id: ID!): Boolean }
    `,
    resolvers: {
      Query: { ping: () => 'pong' },
      Mutation: {
        deleteDataset: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => {
          ctx.logger.info('deleting dataset', { dataset_id: args.id });
          await publishEvent(
            provisioned.js,
            'dataset.deleted',
            { workspaceId: ctx.workspaceId, datasetId: args.id },
            { requestId: ctx.requestId },
          );
          return true;
        },
      },
    },
  });
});

afterAll(async () => {
  await subgraph?.stop();
  await nc?.close();
  await server?.stop();
  await telemetry?.shutdown();
});

describe('trace context from caller to subgraph to NATS to consumer', () => {
  it('keeps one trace id across the HTTP request, the publish and the consumer span', async () => {
    const consumed: Array<{ traceId: string; traceparent?: string; requestId?: string }> = [];
    const consumerLogs: Array<Record<string, unknown>> = [];
    const consumerLogger = createLogger('consumer', {
      write: (line) => consumerLogs.push(JSON.parse(line) as Record<string, unknown>),
    });
    const sub = await subscribeEvents(provisioned.js, 'dataset.deleted', async (delivery) => {
      consumerLogger.info('dataset deleted seen');
      consumed.push({
        traceId: trace.getActiveSpan()!.spanContext().traceId,
        traceparent: delivery.headers?.get('traceparent'),
        requestId: delivery.requestId,
      });
    });

    const response = await fetch(subgraph.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`,
        ...testkit.gatewayHeaders({ workspace: 'acme', requestId: 'req-trace-1' }),
      },
      body: JSON.stringify({ query: 'mutation { deleteDataset(id: "d1") }' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { deleteDataset: true } });

    const deadline = Date.now() + 5000;
    while (consumed.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await sub.stop();

    expect(consumed).toHaveLength(1);
    expect(consumed[0].traceId).toBe(TRACE_ID);
    expect(consumed[0].traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(consumed[0].requestId).toBe('req-trace-1');

    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === TRACE_ID);
    const serverSpan = spans.find((s) => s.kind === SpanKind.SERVER)!;
    const publishSpan = spans.find((s) => s.kind === SpanKind.PRODUCER)!;
    const consumerSpan = spans.find((s) => s.kind === SpanKind.CONSUMER)!;
    expect(serverSpan.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(publishSpan.name).toBe('publish mmm.v1.dataset.deleted');
    expect(publishSpan.parentSpanContext?.spanId).toBe(serverSpan.spanContext().spanId);
    expect(consumerSpan.name).toBe('process mmm.v1.dataset.deleted');
    expect(consumerSpan.parentSpanContext?.spanId).toBe(publishSpan.spanContext().spanId);

    // Logs on both sides carry the trace id.
    const resolverLog = logLines.find((l) => l.msg === 'deleting dataset')!;
    expect(resolverLog).toMatchObject({
      level: 'info',
      service: 'tracing-test',
      trace_id: TRACE_ID,
      request_id: 'req-trace-1',
      workspace_id: 'acme',
      dataset_id: 'd1',
    });
    expect(consumerLogs[0]).toMatchObject({ trace_id: TRACE_ID, msg: 'dataset deleted seen' });
    expect(consumerLogs[0].span_id).toBe(consumerSpan.spanContext().spanId);

    // The subgraph's /metrics counts the messages too.
    const metrics = await (await fetch(`http://127.0.0.1:${subgraph.port}/metrics`)).text();
    expect(metrics).toContain(
      'nats_messages_published_total{subject="mmm.v1.dataset.deleted",duplicate="false"} 1',
    );
    expect(metrics).toContain(
      'nats_messages_processed_total{subject="mmm.v1.dataset.deleted",outcome="ok"} 1',
    );
  });

  it('starts a new trace when the caller sends none', async () => {
    exporter.reset();
    const response = await fetch(subgraph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...testkit.gatewayHeaders() },
      body: JSON.stringify({ query: '{ ping }' }),
    });
    expect(await response.json()).toEqual({ data: { ping: 'pong' } });
    const serverSpan = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER)!;
    expect(serverSpan.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(serverSpan.spanContext().traceId).not.toBe(TRACE_ID);
    expect(serverSpan.parentSpanContext).toBeUndefined();
  });

  it('reports that nothing is exported when no OTLP endpoint is configured', () => {
    expect(telemetry.exporting).toBe(false);
    expect(startTelemetry('again')).toBe(telemetry);
  });
});
