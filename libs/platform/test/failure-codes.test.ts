import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAILURE_CODES, failureCodeOf, PermanentFailure } from '../src';

describe('the failure code registry', () => {
  it('is documented in the README, one row per code with its meaning', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    for (const [code, meaning] of Object.entries(FAILURE_CODES)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${code}\``));
      expect(row).toBeDefined();
      expect(row).toContain(meaning);
    }
  });

  it('gives each error its code, HANDLER_FAILED when it has none', () => {
    expect(failureCodeOf(new PermanentFailure('TIMEOUT', 'too long'))).toBe('TIMEOUT');
    expect(failureCodeOf(new Error('boom'))).toBe('HANDLER_FAILED');
    expect(failureCodeOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(
      'HANDLER_FAILED',
    );
  });
});
