import { createLogger, getTracer, setDefaultLogLevel, startTelemetry } from '../src';

// The real SDK provides the context manager that makes a span active.
const telemetry = startTelemetry('logger-test');
afterAll(() => telemetry.shutdown());

function collect() {
  const lines: Array<Record<string, unknown>> = [];
  return {
    lines,
    write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes one JSON object per line with level, time, service and msg', () => {
    const { lines, write } = collect();
    createLogger('ingestion', { write }).info('dataset stored', { dataset_id: 'd1', rows: 104 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: 'ingestion',
      msg: 'dataset stored',
      dataset_id: 'd1',
      rows: 104,
    });
  });

  it('drops lines below its level', () => {
    const { lines, write } = collect();
    const logger = createLogger('modeling', { level: 'warn', write });
    logger.info('hidden');
    logger.debug('hidden');
    logger.warn('shown');
    logger.error('shown too');
    expect(lines.map((l) => l.level)).toEqual(['warn', 'error']);
    const silent = collect();
    createLogger('x', { level: 'silent', write: silent.write }).fatal('no');
    expect(silent.lines).toHaveLength(0);
  });

  it('uses the default level set at start', () => {
    const { lines, write } = collect();
    setDefaultLogLevel('error');
    try {
      createLogger('x', { write }).warn('hidden');
      expect(lines).toHaveLength(0);
    } finally {
      setDefaultLogLevel('info');
    }
  });

  it('adds the bindings of child loggers and serializes errors', () => {
    const { lines, write } = collect();
    const logger = createLogger('modeling', { write }).child({ job_id: 'j1' });
    logger.child({ attempt: 2 }).error('fit failed', { error: new Error('singular matrix') });
    expect(lines[0]).toMatchObject({
      job_id: 'j1',
      attempt: 2,
      error: { type: 'Error', message: 'singular matrix' },
    });
  });

  it('carries trace_id and span_id of the active span', () => {
    const { lines, write } = collect();
    const logger = createLogger('gateway', { write });
    let expected: { traceId: string; spanId: string } | undefined;
    getTracer().startActiveSpan('request', (span) => {
      expected = span.spanContext();
      logger.info('inside');
      span.end();
    });
    logger.info('outside');
    expect(expected?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[0]).toMatchObject({ trace_id: expected?.traceId, span_id: expected?.spanId });
    expect(lines[1].trace_id).toBeUndefined();
  });
});
