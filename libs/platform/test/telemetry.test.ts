import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { NODE_PATH, compileSrc } from './compiled-src';

jest.setTimeout(30_000);

// Telemetry is process-wide (global tracer provider), so each case runs the
// real kit in its own node process.
const compiled = compileSrc();
afterAll(() => compiled.remove());

function runNode(
  script: string,
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const file = path.join(compiled.dir, `script-${Math.random().toString(36).slice(2)}.js`);
  fs.writeFileSync(file, script);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      env: { PATH: process.env.PATH, NODE_PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

const SCRIPT = `
  const p = require('./index.js');
  const telemetry = p.startTelemetry('telemetry-test');
  const logger = p.createLogger('telemetry-test');
  p.getTracer().startActiveSpan('fit model', (span) => { logger.info('inside'); span.end(); });
  telemetry.shutdown().then(() => { logger.info('exporting ' + telemetry.exporting); process.exit(0); });
`;

describe('startTelemetry', () => {
  it('exports spans by OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    const received: Array<{ url: string; body: string }> = [];
    const collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
      req.on('end', () => {
        received.push({ url: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const port = (collector.address() as AddressInfo).port;
    try {
      const result = await runNode(SCRIPT, {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      });
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('exporting true');
      const traces = received.find((r) => r.url === '/v1/traces');
      expect(traces?.body).toContain('fit model');
      expect(traces?.body).toContain('telemetry-test');
    } finally {
      collector.close();
    }
  });

  it('records spans without an endpoint (trace ids in logs) and prints nothing of its own', async () => {
    const result = await runNode(SCRIPT);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    expect(lines.map((l) => l.msg)).toEqual(['inside', 'exporting false']);
    expect(lines[0].trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[0].span_id).toMatch(/^[0-9a-f]{16}$/);
  });
});
