import type { Cell } from './parse';

export type ReadNumber =
  | { kind: 'missing' }
  | { kind: 'number'; value: number }
  | { kind: 'invalid'; text: string; hint: string };

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const THOUSANDS = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;

/**
 * A cell as a number. Plain decimal notation only: "1,234" is refused (with a
 * hint) because it reads as 1.234 in half the world, and so is "$5" or "5%".
 */
export function readNumber(cell: Cell): ReadNumber {
  if (cell === null || cell === undefined) return { kind: 'missing' };
  if (typeof cell === 'number') {
    return Number.isFinite(cell)
      ? { kind: 'number', value: cell }
      : { kind: 'invalid', text: String(cell), hint: '' };
  }
  if (typeof cell === 'boolean') return { kind: 'invalid', text: String(cell), hint: '' };
  const text = cell.trim();
  if (text === '') return { kind: 'missing' };
  if (NUMBER.test(text)) return { kind: 'number', value: Number(text) };
  const hint = THOUSANDS.test(text) ? ' (remove the thousands separators)' : '';
  return { kind: 'invalid', text, hint };
}
