import { calendarDay, formatIsoDay, parseIsoDate, parseIsoDay, buildBaselineDesign } from '../src';

describe('the one date parser', () => {
  it('reads real calendar dates written YYYY-MM-DD', () => {
    expect(parseIsoDay('1970-01-01')).toBe(0);
    expect(parseIsoDay('2024-02-29')).toBe(19782);
    expect(formatIsoDay(19782)).toBe('2024-02-29');
    expect(parseIsoDate('2024-03-01')).toBe(Date.UTC(2024, 2, 1));
  });

  it.each(['2024-02-30', '2023-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '2024-1-5'])(
    'refuses %s instead of rolling it over',
    (text) => {
      expect(parseIsoDay(text)).toBeNull();
      expect(() => parseIsoDate(text)).toThrow(`${text} is not a calendar date (YYYY-MM-DD)`);
    },
  );

  it('refuses text around the date and non-integer parts', () => {
    expect(parseIsoDay(' 2024-01-01')).toBeNull();
    expect(parseIsoDay('2024-01-01T00:00:00Z')).toBeNull();
    expect(calendarDay(2024, 1.5, 1)).toBeNull();
  });

  it('is what the design uses: an impossible date in the table is an error, not 1 March', () => {
    expect(() => buildBaselineDesign({ dates: ['2024-02-23', '2024-02-30'] })).toThrow(
      '2024-02-30 is not a calendar date',
    );
  });
});
