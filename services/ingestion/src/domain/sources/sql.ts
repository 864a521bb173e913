import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Client, types, type ClientConfig } from 'pg';
import type { LongRow } from '../types';
import { SourceError } from './errors';
import type { DateRange } from './types';

// SQL sources read a mart the team already builds (dbt in its warehouse). The query returns long
// rows under the canonical names (date, channel, spend[, impressions, clicks, conversions,
// revenue]); $1 and $2 are the first and last day of the pull, always bound as parameters.

/** A value of a result row as the long rows hold it; unreadable text is left for validation. */
function cell(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}

function day(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value ?? '');
}

export function toLongRows(rows: Array<Record<string, unknown>>): LongRow[] {
  return rows.map((row) => ({
    date: day(row.date),
    channel: String(row.channel ?? ''),
    ...('spend' in row ? { spend: cell(row.spend) } : {}),
    impressions: cell(row.impressions),
    clicks: cell(row.clicks),
    conversions: cell(row.conversions),
    revenue: cell(row.revenue),
  }));
}

const DATE_OID = 1082;

export interface PostgresSettings {
  /** postgres://user:password@host:port/db from the service's secret configuration. */
  connectionString: string;
  query: string;
  statementTimeoutMs: number;
}

/** PostgreSQL through `pg`: the query runs inside a READ ONLY transaction that is rolled back. */
export function postgresConnector(settings: PostgresSettings) {
  async function pull(range: DateRange): Promise<LongRow[]> {
    const config: ClientConfig = {
      connectionString: settings.connectionString,
      // DATE as its text: pg's default turns it into a local-midnight Date, a day off in UTC-x.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === DATE_OID ? (text: string) => text : types.getTypeParser(oid, format)) as never,
      },
      statement_timeout: settings.statementTimeoutMs,
    };
    const client = new Client(config);
    try {
      await client.connect();
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new SourceError(
        code === '28P01' || code === '28000' ? 'SOURCE_AUTH_FAILED' : 'SOURCE_UNREACHABLE',
        `PostgreSQL: ${(error as Error).message}`,
      );
    }
    try {
      await client.query('BEGIN TRANSACTION READ ONLY');
      const result = await client.query(settings.query, [range.start, range.end]);
      return toLongRows(result.rows as Array<Record<string, unknown>>);
    } catch (error) {
      throw new SourceError(
        'SOURCE_REJECTED',
        `PostgreSQL refused the query: ${(error as Error).message}`,
        [{ field: 'query', message: (error as Error).message }],
      );
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }
  return { pull };
}

export interface DuckDbSettings {
  /** Folder the files must be in (the service's configuration). */
  root: string;
  /** A .duckdb database or a .parquet file, relative to root. */
  file: string;
  query: string;
  /** e.g. 512MB: DuckDB takes 80% of the machine's memory otherwise. */
  memoryLimit: string;
  threads: number;
}

/** The file of a DuckDB source, refused when it would leave the configured folder. */
export function duckDbFile(root: string, file: string): string {
  const resolved = path.resolve(root, file);
  if (path.relative(path.resolve(root), resolved).startsWith('..') || path.isAbsolute(file)) {
    throw new SourceError(
      'SOURCE_REJECTED',
      `The file "${file}" is outside the DuckDB source folder.`,
      [{ field: 'file', message: `"${file}" must be a path inside the DuckDB source folder.` }],
    );
  }
  return resolved;
}

/**
 * DuckDB over a database file (opened read-only) or a Parquet file (the view `source`), with
 * its memory and threads limited and access to other files turned off before the query runs.
 */
export function duckDbConnector(settings: DuckDbSettings) {
  async function pull(range: DateRange): Promise<LongRow[]> {
    const file = duckDbFile(settings.root, settings.file);
    const parquet = file.toLowerCase().endsWith('.parquet');
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(parquet ? ':memory:' : file, {
        ...(parquet ? {} : { access_mode: 'READ_ONLY' }),
        memory_limit: settings.memoryLimit,
        threads: String(settings.threads),
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
      });
    } catch (error) {
      throw new SourceError(
        'SOURCE_UNREACHABLE',
        `DuckDB could not open ${settings.file}: ${(error as Error).message}`,
      );
    }
    const connection = await instance.connect();
    try {
      if (parquet) {
        const quoted = file.replace(/'/g, "''");
        await connection.run(`CREATE VIEW source AS SELECT * FROM read_parquet('${quoted}')`);
        // The view keeps reading the file, so external access stays on; the query is still
        // parameterized and the instance is in memory and thrown away.
      } else {
        await connection.run('SET enable_external_access = false');
      }
      await connection.run('SET lock_configuration = true');
      const reader = await connection.runAndReadAll(settings.query, [range.start, range.end]);
      return toLongRows(reader.getRowObjectsJson() as Array<Record<string, unknown>>);
    } catch (error) {
      throw new SourceError(
        'SOURCE_REJECTED',
        `DuckDB refused the query: ${(error as Error).message}`,
        [{ field: 'query', message: (error as Error).message }],
      );
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }
  return { pull };
}
