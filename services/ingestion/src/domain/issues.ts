import type { Issue } from './types';

/** A file with thousands of bad cells would produce a useless wall of text; list this many. */
export const MAX_LISTED_ISSUES = 100;

/** Collects every problem of a file; keeps the first MAX_LISTED_ISSUES and counts the rest. */
export class IssueList {
  readonly listed: Issue[] = [];
  total = 0;

  add(issue: Issue): void {
    this.total += 1;
    if (this.listed.length < MAX_LISTED_ISSUES) this.listed.push(issue);
  }

  get empty(): boolean {
    return this.total === 0;
  }
}

/** How a row is named in messages: the data row, and the file line when they differ. */
export interface RowPlace {
  /** 1-based data row: the first row after the header is row 1. */
  row: number;
  /** 1-based line of the file where the row starts (CSV only). */
  line: number | null;
}

export function describeRow(place: RowPlace): string {
  return place.line === null ? `row ${place.row}` : `row ${place.row} (line ${place.line})`;
}
