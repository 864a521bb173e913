import { attributeJourneys, buildComparisonTable } from '../../src';
import { journeyTable } from './journeys';

const table = journeyTable([
  { id: 'j1', path: ['search', 'tv'], converted: true, value: 80 },
  { id: 'j2', path: ['search'], converted: true, value: 20 },
  { id: 'j3', path: ['tv'], converted: false },
]);

describe('comparison table', () => {
  it('puts channels x methods side by side: conversions, value and share', () => {
    const run = attributeJourneys(table, ['last_touch', 'first_touch', 'linear']);
    const comparison = buildComparisonTable(run);
    expect(comparison).toEqual({
      channels: ['search', 'tv'],
      totals: { conversions: 2, value: 100 },
      columns: [
        {
          name: 'last_touch',
          source: 'journeys',
          conversions: [1, 1],
          value: [20, 80],
          share: [0.5, 0.5],
        },
        {
          name: 'first_touch',
          source: 'journeys',
          conversions: [2, 0],
          value: [100, 0],
          share: [1, 0],
        },
        {
          name: 'linear',
          source: 'journeys',
          conversions: [1.5, 0.5],
          value: [60, 40],
          share: [0.75, 0.25],
        },
      ],
    });
    // Plain arrays: the table goes to JSON as it is.
    expect(JSON.parse(JSON.stringify(comparison))).toEqual(comparison);
  });

  it("adds the caller's columns (e.g. an MMM's contribution), matched by channel name", () => {
    const run = attributeJourneys(table, ['linear']);
    const comparison = buildComparisonTable(run, [
      { name: 'mmm', unit: 'value', credit: { tv: 300, radio: 100 } },
      { name: 'lift_tests', unit: 'conversions', credit: { search: 1.2 } },
    ]);
    // radio: only the MMM knows it; the journeys give it no credit (0), search has no MMM figure.
    expect(comparison.channels).toEqual(['search', 'tv', 'radio']);
    expect(comparison.columns.map((c) => c.name)).toEqual(['linear', 'mmm', 'lift_tests']);
    expect(comparison.columns[0]).toMatchObject({
      conversions: [1.5, 0.5, 0],
      share: [0.75, 0.25, 0],
    });
    expect(comparison.columns[1]).toEqual({
      name: 'mmm',
      source: 'external',
      conversions: [null, null, null],
      value: [null, 300, 100],
      share: [null, 0.75, 0.25],
    });
    expect(comparison.columns[2]).toEqual({
      name: 'lift_tests',
      source: 'external',
      conversions: [1.2, null, null],
      value: [null, null, null],
      share: [1, null, null],
    });
  });
});
