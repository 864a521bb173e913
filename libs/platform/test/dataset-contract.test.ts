import { DatasetContractError, parseDatasetDescriptor, parseStoredTable } from '../src';

const table = {
  schemaVersion: 1,
  datasetId: 'ds_1',
  frequency: 'WEEKLY',
  dates: ['2024-01-01', '2024-01-08'],
  columns: [
    { name: 'revenue', role: 'KPI', channel: null, values: [1, 2] },
    { name: 'tv', role: 'PAID_SPEND', channel: 'tv', values: [3, 4] },
  ],
};

describe('the dataset contract', () => {
  it('reads a stored table from its bytes', () => {
    const bytes = new TextEncoder().encode(JSON.stringify(table));
    expect(parseStoredTable(bytes)).toEqual(table);
  });

  it.each([
    [{ ...table, schemaVersion: 2 }, 'schemaVersion: expected 1'],
    [
      { ...table, columns: [{ ...table.columns[0], values: [1] }] },
      'columns[0].values: expected 2 values, got 1',
    ],
    [
      { ...table, columns: [{ ...table.columns[1], values: [1, null] }] },
      'columns[0].values[1]: expected a finite number',
    ],
    [
      { ...table, columns: [{ ...table.columns[1], role: 'SPEND' }] },
      'columns[0].role: expected one of KPI, PAID_SPEND, PAID_EXPOSURE, ORGANIC, CONTROL',
    ],
  ])('names what is wrong in a malformed table (%#)', (value, message) => {
    expect(() => parseStoredTable(value)).toThrow(DatasetContractError);
    expect(() => parseStoredTable(value)).toThrow(message);
  });

  it('reads the contract fields of a catalog record and leaves the others out', () => {
    const descriptor = parseDatasetDescriptor({
      schemaVersion: 1,
      id: 'ds_1',
      workspaceId: 'w',
      name: 'n',
      status: 'ACTIVE',
      kpiType: 'CONVERSIONS',
      kpiColumn: 'orders',
      frequency: 'DAILY',
      channels: [{ name: 'tv', spendColumn: 'tv_spend', exposureColumn: null }],
      organic: [],
      controls: ['price'],
      periodCount: 60,
      startDate: '2024-01-01',
      endDate: '2024-02-29',
      contentSha256: 'ab',
      tableFile: 'ds_1-x',
      warnings: ['ingestion-only field'],
    });
    expect(descriptor).not.toHaveProperty('warnings');
    expect(descriptor.channels[0].spendColumn).toBe('tv_spend');
    expect(() => parseDatasetDescriptor({ ...descriptor, periodCount: 0 })).toThrow(
      'periodCount: expected a positive integer',
    );
  });
});
