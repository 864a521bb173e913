import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, parseConfig, parseTelemetryEnv } from '../src';
import { NODE_PATH, compileSrc } from './compiled-src';

describe('parseConfig', () => {
  it('applies the defaults every service relies on', () => {
    expect(parseConfig({})).toEqual({
      NATS_URL: 'nats://127.0.0.1:4222',
      LOG_LEVEL: 'info',
      DEFAULT_WORKSPACE: 'default',
      AUDIT_RETENTION_DAYS: 365,
      NATS_REPLICAS: 1,
      SHUTDOWN_TIMEOUT_MS: 10_000,
      SHUTDOWN_READY_GRACE_MS: 2_000,
    });
  });

  it('parses and types every base variable', () => {
    const config = parseConfig({
      NATS_URL: 'nats://a:4222,nats://b:4222',
      PORT: '4001',
      LOG_LEVEL: 'debug',
      SERVICE_NAME: 'ingestion',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      DEFAULT_WORKSPACE: 'acme',
      NATS_REPLICAS: '3',
    });
    expect(config.PORT).toBe(4001);
    expect(config.NATS_REPLICAS).toBe(3);
    expect(config.NATS_URL).toBe('nats://a:4222,nats://b:4222');
    expect(config.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://collector:4318');
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfig({ PORT: '', LOG_LEVEL: '' })).toMatchObject({ LOG_LEVEL: 'info' });
    expect(parseConfig({ PORT: '' }).PORT).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc', 'config error: PORT must be an integer 1-65535, got "abc"'],
    ['PORT', '70000', 'config error: PORT must be an integer 1-65535, got "70000"'],
    ['PORT', '4001.5', 'config error: PORT must be an integer 1-65535, got "4001.5"'],
    [
      'LOG_LEVEL',
      'loud',
      'config error: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "loud"',
    ],
    [
      'NATS_URL',
      'localhost:4222',
      'config error: NATS_URL must be a nats:// URL (several separated by commas), got "localhost:4222"',
    ],
    [
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'collector',
      'config error: OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as http://127.0.0.1:4318, got "collector"',
    ],
    [
      'DEFAULT_WORKSPACE',
      'a.b',
      'config error: DEFAULT_WORKSPACE must be 1-64 characters of [-_a-zA-Z0-9], got "a.b"',
    ],
    ['NATS_REPLICAS', '2', 'config error: NATS_REPLICAS must be 1, 3 or 5, got "2"'],
  ])('rejects %s=%s with one line naming the variable', (variable, value, message) => {
    let caught: unknown;
    try {
      parseConfig({ [variable]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toBe(message);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as ConfigError).message).not.toContain('\n');
  });

  it('names every wrong variable in the same single line', () => {
    expect(() => parseConfig({ PORT: '0', LOG_LEVEL: 'loud' })).toThrow(
      'config error: PORT must be an integer 1-65535, got "0"; LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "loud"',
    );
  });

  it('lets a service extend the schema, including required variables', () => {
    const extension = {
      MAX_UPLOAD_MB: z.coerce.number().positive('must be a positive number').default(50),
      MODEL_SEED: z.string({ required_error: 'is required' }),
    };
    const config = parseConfig({ MODEL_SEED: 'x', PORT: '4002' }, extension);
    expect(config.MAX_UPLOAD_MB).toBe(50);
    expect(config.MODEL_SEED).toBe('x');
    expect(config.PORT).toBe(4002);
    expect(() => parseConfig({}, extension)).toThrow(
      'config error: MODEL_SEED is required, but it is not set',
    );
    expect(() => parseConfig({ MODEL_SEED: 'x', MAX_UPLOAD_MB: '-1' }, extension)).toThrow(
      'config error: MAX_UPLOAD_MB must be a positive number, got "-1"',
    );
  });
});

describe('parseTelemetryEnv', () => {
  it('reads the two telemetry variables by the rules of the full configuration', () => {
    expect(parseTelemetryEnv({})).toEqual({ serviceName: undefined, otlpEndpoint: undefined });
    expect(
      parseTelemetryEnv({
        SERVICE_NAME: 'modeling',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        PORT: 'ignored here',
      }),
    ).toEqual({ serviceName: 'modeling', otlpEndpoint: 'http://collector:4318' });
  });

  it.each(['notaurl', 'collector:4318', 'ftp://collector'])(
    'rejects OTEL_EXPORTER_OTLP_ENDPOINT=%s with the one config line',
    (value) => {
      expect(() => parseTelemetryEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: value })).toThrow(
        new ConfigError(
          'OTEL_EXPORTER_OTLP_ENDPOINT',
          'must be an http(s) URL such as http://127.0.0.1:4318',
          value,
        ).message,
      );
    },
  );
});

describe('loadConfig in a real process', () => {
  // The child runs the real config module, compiled on the fly, so the test
  // does not depend on a previous build.
  const compiled = compileSrc();
  const dir = compiled.dir;
  fs.writeFileSync(
    path.join(dir, 'main.js'),
    `const { loadConfig } = require('./config.js');
     const config = loadConfig();
     console.log(JSON.stringify(config));`,
  );
  // A service's main: telemetry first, then the configuration.
  fs.writeFileSync(
    path.join(dir, 'service-main.js'),
    `const { startTelemetry } = require('./telemetry.js');
     const telemetry = startTelemetry('probe');
     const { loadConfig } = require('./config.js');
     loadConfig();
     console.log('started');
     void telemetry.shutdown();`,
  );
  const run = (env: Record<string, string>, main = 'main.js') =>
    spawnSync(process.execPath, [path.join(dir, main)], {
      env: {
        PATH: process.env.PATH,
        NODE_PATH,
        ...env,
      },
      encoding: 'utf8',
      timeout: 20_000,
    });

  afterAll(() => compiled.remove());

  it('exits with status 1 and one stderr line when a variable is wrong', () => {
    const child = run({ PORT: 'abc' });
    expect(child.status).toBe(1);
    expect(child.stderr).toBe('config error: PORT must be an integer 1-65535, got "abc"\n');
    expect(child.stdout).toBe('');
  });

  it('stops a service with one line, not a stack trace, on a bad OTLP endpoint', () => {
    const child = run({ OTEL_EXPORTER_OTLP_ENDPOINT: 'notaurl' }, 'service-main.js');
    expect(child.status).toBe(1);
    expect(child.stderr).toBe(
      'config error: OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as http://127.0.0.1:4318, got "notaurl"\n',
    );
    expect(child.stdout).toBe('');
  });

  it('starts normally with a valid environment', () => {
    const child = run({ PORT: '4005', SERVICE_NAME: 'reporting' });
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toMatchObject({ PORT: 4005, SERVICE_NAME: 'reporting' });
  });
});
