import type { FailureCode } from '@mmm/platform';

/** One problem of pulled data, as the dataset validation reports it. */
export interface SourceIssue {
  row?: number;
  column?: string;
  field: string;
  message: string;
}

/**
 * Why a pull failed, with its code from the platform's one registry (FAILURE_CODES). The message
 * is for people and never carries a secret.
 */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(
    readonly code: FailureCode,
    message: string,
    readonly issues: SourceIssue[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isSourceError(error: unknown): error is SourceError {
  return error instanceof SourceError;
}
