import fc from 'fast-check';
import { daysFromCivil, parseIsoTimestamp } from '../src';

describe('parseIsoTimestamp', () => {
  it.each([
    ['2024-03-01', Date.UTC(2024, 2, 1)],
    ['2024-02-29T13:45', Date.UTC(2024, 1, 29, 13, 45)],
    ['2024-02-29 13:45:07', Date.UTC(2024, 1, 29, 13, 45, 7)],
    ['2024-02-29t13:45:07Z', Date.UTC(2024, 1, 29, 13, 45, 7)],
    ['2024-02-29T13:45:07.5Z', Date.UTC(2024, 1, 29, 13, 45, 7, 500)],
    ['2024-02-29T13:45:07,250z', Date.UTC(2024, 1, 29, 13, 45, 7, 250)],
    ['2024-02-29T13:45:07.123456Z', Date.UTC(2024, 1, 29, 13, 45, 7, 123) + 0.456],
    ['2024-02-29T13:45:07+02:00', Date.UTC(2024, 1, 29, 11, 45, 7)],
    ['2024-02-29T13:45:07-0530', Date.UTC(2024, 1, 29, 19, 15, 7)],
    ['2024-02-29T01:00+05', Date.UTC(2024, 1, 28, 20, 0)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['1969-12-31T23:59:59.999Z', -1],
  ])('reads %s', (text, expected) => {
    expect(parseIsoTimestamp(text)).toBeCloseTo(expected, 6);
  });

  it.each([
    '',
    '2024-3-01',
    '2024/03/01',
    '2023-02-29',
    '1900-02-29',
    '2024-04-31',
    '2024-13-01',
    '2024-00-10',
    '2024-01-01T24:00',
    '2024-01-01T12:60',
    '2024-01-01T12:00:60',
    '2024-01-01T12',
    '2024-01-01T12:00:0',
    '2024-01-01T12:00:00.',
    '2024-01-01T12:00:00ZZ',
    '2024-01-01T12:00:00+2',
    '2024-01-01T12:00:00+02:0',
    '2024-01-01T12:00:00+24:00',
    '2024-01-01X12:00',
    '1709251200000',
    'yesterday',
  ])('refuses %j', (text) => {
    expect(parseIsoTimestamp(text)).toBeNaN();
  });

  it('reads back every instant Date writes as ISO (years 1 to 9999), and with an offset', () => {
    const min = new Date('0001-01-01T00:00:00.000Z').getTime();
    const max = new Date('9999-12-31T23:59:59.999Z').getTime();
    fc.assert(
      fc.property(
        fc.integer({ min, max }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (ms, offsetMinutes) => {
          expect(parseIsoTimestamp(new Date(ms).toISOString())).toBe(ms);
          // The same instant written in another zone: local wall time + offset.
          const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const h = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
          const m = String(Math.abs(offsetMinutes) % 60).padStart(2, '0');
          if (local.startsWith('-') || local.startsWith('+')) return;
          expect(parseIsoTimestamp(`${local}${sign}${h}:${m}`)).toBe(ms);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('counts days like the proleptic Gregorian calendar', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2000, 3, 1)).toBe(11017);
    expect(daysFromCivil(1, 1, 1)).toBe(-719162);
  });
});
