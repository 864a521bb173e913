import { GraphQLError } from 'graphql';
import {
  ConflictError,
  ERROR_CODES,
  NotFoundError,
  ValidationError,
  formatError,
  isDomainError,
  parseScopedKey,
  scopedKey,
  isClientSafeError,
} from '../src';

const wrapped = (error: Error) =>
  new GraphQLError(error.message, { originalError: error, path: ['field'] });

describe('formatError', () => {
  it('gives a single ValidationError issue as the message', () => {
    const error = new ValidationError([
      { row: 7, column: 'tv_spend', message: 'row 7: tv_spend is negative (-5)' },
    ]);
    const formatted = formatError({ message: error.message }, wrapped(error));
    expect(formatted).toEqual({
      message: 'row 7: tv_spend is negative (-5)',
      extensions: {
        code: 'BAD_USER_INPUT',
        issues: [{ row: 7, column: 'tv_spend', message: 'row 7: tv_spend is negative (-5)' }],
      },
    });
  });

  it('finds the domain error however deep Apollo wrapped it', () => {
    const inner = new NotFoundError('dataset', 'd1');
    const outer = new GraphQLError('x', { originalError: wrapped(inner) });
    expect(formatError({ message: 'x' }, outer).extensions).toEqual({
      code: 'NOT_FOUND',
      kind: 'dataset',
      id: 'd1',
    });
  });

  it('keeps client-safe details and drops any stacktrace extension', () => {
    const conflict = new ConflictError('job running', { jobId: 'j1' });
    expect(formatError({ message: '' }, conflict).extensions).toEqual({
      code: 'CONFLICT',
      jobId: 'j1',
    });
    const parse = formatError(
      {
        message: 'Syntax Error',
        extensions: { code: 'GRAPHQL_PARSE_FAILED', stacktrace: ['at x'] },
      },
      new GraphQLError('Syntax Error'),
    );
    expect(parse).toEqual({
      message: 'Syntax Error',
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
  });

  it('turns unknown errors and unknown codes into a generic INTERNAL_SERVER_ERROR', () => {
    const formatted = formatError(
      {
        message: 'ECONNREFUSED 10.1.2.3',
        extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at db.ts:1'] },
      },
      new Error('ECONNREFUSED 10.1.2.3'),
    );
    expect(formatted).toEqual({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('documents every code it can produce', () => {
    expect(Object.keys(ERROR_CODES).sort()).toEqual([
      'BAD_REQUEST',
      'BAD_USER_INPUT',
      'CONFLICT',
      'FORBIDDEN',
      'GATEWAY_TIMEOUT',
      'INTERNAL_SERVER_ERROR',
      'NOT_FOUND',
      'PAYLOAD_TOO_LARGE',
      'QUERY_TOO_COMPLEX',
      'SERVICE_UNAVAILABLE',
      'TOO_MANY_REQUESTS',
      'UNAUTHENTICATED',
    ]);
    expect(isDomainError(new NotFoundError('m', '1'))).toBe(true);
    expect(isDomainError(new Error('x'))).toBe(false);
  });

  it('tells client-safe errors from those that are masked and must be logged', () => {
    expect(isClientSafeError(wrapped(new NotFoundError('m', '1')))).toBe(true);
    const invalid = new GraphQLError('no field x', {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(isClientSafeError(invalid)).toBe(true);
    expect(isClientSafeError(wrapped(new Error('socket hang up')))).toBe(false);
    const internal = new GraphQLError('boom', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(isClientSafeError(internal)).toBe(false);
  });
});

describe('scoped keys', () => {
  it('are <workspace>.<kind>.<id> and parse back', () => {
    expect(scopedKey('acme', 'dataset', 'sha256-9f_x=')).toBe('acme.dataset.sha256-9f_x=');
    expect(parseScopedKey('acme.dataset.d1')).toEqual({
      workspaceId: 'acme',
      kind: 'dataset',
      id: 'd1',
    });
  });

  it('refuse parts that would break the prefix match', () => {
    expect(() => scopedKey('acme', 'dataset', 'a.b')).toThrow(
      'id "a.b" may only contain letters, digits and - / _ =',
    );
    expect(() => scopedKey('', 'dataset', 'x')).toThrow(/workspace/);
    expect(() => scopedKey('acme', 'data set', 'x')).toThrow(/kind/);
    expect(() => scopedKey('acme', 'dataset', '*')).toThrow(/id/);
    expect(() => parseScopedKey('acme.dataset')).toThrow(/not a <workspace>.<kind>.<id> key/);
  });
});
