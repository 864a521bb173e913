import type { LongRow } from '../types';

/** The days of a pull, both included, YYYY-MM-DD. */
export interface DateRange {
  start: string;
  end: string;
}

/** Anything that answers a date range with long rows: an ad platform, a SQL query. */
export interface Connector {
  pull(range: DateRange): Promise<LongRow[]>;
}
