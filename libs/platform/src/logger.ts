import { trace } from '@opentelemetry/api';
import type { LogLevel } from './config';

const RANK: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

export type LogFields = Record<string, unknown>;

export interface Logger {
  trace(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  fatal(msg: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line (e.g. request_id, job_id). */
  child(bindings: LogFields): Logger;
  readonly level: LogLevel;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default. Tests pass a collector. */
  write?: (line: string) => void;
}

let defaultLevel: LogLevel = 'info';

/** Sets the level of loggers created afterwards without an explicit level. */
export function setDefaultLogLevel(level: LogLevel): void {
  defaultLevel = level;
}

function serializeError(error: Error): LogFields {
  return { type: error.name, message: error.message, stack: error.stack };
}

/**
 * One JSON object per line with level, time, service and msg, plus trace_id and
 * span_id of the active OpenTelemetry span so logs and traces join up.
 */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  const level = options.level ?? defaultLevel;
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const make = (bindings: LogFields): Logger => {
    const emit = (lvl: LogLevel, msg: string, fields?: LogFields) => {
      if (RANK[lvl] < RANK[level]) return;
      const record: LogFields = { level: lvl, time: new Date().toISOString(), service, msg };
      const span = trace.getActiveSpan()?.spanContext();
      if (span && span.traceId !== '00000000000000000000000000000000') {
        record.trace_id = span.traceId;
        record.span_id = span.spanId;
      }
      Object.assign(record, bindings);
      if (fields) {
        for (const [key, value] of Object.entries(fields)) {
          record[key] = value instanceof Error ? serializeError(value) : value;
        }
      }
      let line: string;
      try {
        line = JSON.stringify(record);
      } catch {
        line = JSON.stringify({
          level: lvl,
          time: record.time,
          service,
          msg,
          unserializable: true,
        });
      }
      write(line);
    };
    return {
      level,
      trace: (msg, fields) => emit('trace', msg, fields),
      debug: (msg, fields) => emit('debug', msg, fields),
      info: (msg, fields) => emit('info', msg, fields),
      warn: (msg, fields) => emit('warn', msg, fields),
      error: (msg, fields) => emit('error', msg, fields),
      fatal: (msg, fields) => emit('fatal', msg, fields),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}
