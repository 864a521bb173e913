import { mediaMixTableFromDataset, type DatasetTableColumns } from '../src';

const table: DatasetTableColumns = {
  dates: ['2024-01-01', '2024-01-08', '2024-01-15'],
  columns: [
    { name: 'revenue', role: 'KPI', channel: null, values: [10, 11, 12] },
    { name: 'tv', role: 'PAID_SPEND', channel: 'tv', values: [1, 2, 3] },
    { name: 'search_cost', role: 'PAID_SPEND', channel: 'search', values: [4, 5, 6] },
    { name: 'search_clicks', role: 'PAID_EXPOSURE', channel: 'search', values: [40, 50, 60] },
    { name: 'newsletter', role: 'ORGANIC', channel: 'newsletter', values: [0, 1, 0] },
    { name: 'price', role: 'CONTROL', channel: null, values: [9, 9, 8] },
  ],
};

describe('a dataset table as the engine table', () => {
  it('models exposures where a channel has them and keeps its spend for ROAS', () => {
    const spec = mediaMixTableFromDataset(table, { controlSigns: { price: 'negative' } });
    expect(spec.kpi).toEqual([10, 11, 12]);
    expect(spec.paid).toEqual([
      { name: 'tv', values: [1, 2, 3] },
      { name: 'search', values: [40, 50, 60], spend: [4, 5, 6] },
    ]);
    expect(spec.organic).toEqual([{ name: 'newsletter', values: [0, 1, 0] }]);
    expect(spec.controls).toEqual([{ name: 'price', values: [9, 9, 8], sign: 'negative' }]);
  });

  it('takes a subset of the paid channels and names one it does not have', () => {
    expect(mediaMixTableFromDataset(table, { channels: ['search'] }).paid).toHaveLength(1);
    expect(() => mediaMixTableFromDataset(table, { channels: ['radio'] })).toThrow(
      "channel 'radio' is not a paid channel of the dataset (tv, search)",
    );
    expect(() => mediaMixTableFromDataset(table, { controlSigns: { promo: 'positive' } })).toThrow(
      "'promo' is not a control column of the dataset",
    );
  });
});
