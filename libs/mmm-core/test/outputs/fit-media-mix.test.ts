import { fitMediaMix } from '../../src/outputs';

/** 40 weekly rows: tv spends throughout, radio only in the last 8 (the holdout). */
function table() {
  const rows = 40;
  const dates = Array.from({ length: rows }, (_, t) =>
    new Date(Date.UTC(2024, 0, 1 + 7 * t)).toISOString().slice(0, 10),
  );
  const tv = Array.from({ length: rows }, (_, t) => 100 + 10 * (t % 5));
  const radio = Array.from({ length: rows }, (_, t) => (t >= rows - 8 ? 50 : 0));
  const kpi = tv.map((s, t) => 1000 + 2 * s + radio[t]);
  return {
    dates,
    kpi,
    paid: [
      { name: 'tv', values: tv },
      { name: 'radio', values: radio },
    ],
  };
}

describe('fitMediaMix input checks', () => {
  it('rejects a channel that is zero in every training period, naming it', async () => {
    await expect(fitMediaMix(table(), { holdout: 8, iterations: 10, trials: 1 })).rejects.toThrow(
      'channel radio is zero in every training period (the first 32); it cannot be estimated',
    );
  });

  it('rejects an organic channel with no activity at all, naming it', async () => {
    const t = table();
    const organic = [{ name: 'newsletter', values: t.kpi.map(() => 0) }];
    await expect(
      fitMediaMix({ ...t, paid: [t.paid[0]], organic }, { iterations: 10, trials: 1 }),
    ).rejects.toThrow('channel newsletter is zero in every period; it cannot be estimated');
  });
});
