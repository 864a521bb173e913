import { forecast, parseModel, serializeModel } from '../../src/model';
import { fitMediaMix } from '../../src/outputs';
import { generateSyntheticDataset } from '../../src/synthetic';

describe('forecast from a serialized model', () => {
  const ds = generateSyntheticDataset({ seed: 8, periods: 120, channels: 3 });
  const table = (rows: number) => ({
    dates: ds.dates.slice(0, rows),
    kpi: ds.columns[ds.kpiColumn].slice(0, rows),
    controls: ds.controlColumns.map((name) => ({ name, values: ds.columns[name].slice(0, rows) })),
    paid: ds.truth.channels.map((c) => ({
      name: c.name,
      values: ds.columns[c.spendColumn].slice(0, rows),
    })),
  });
  const options = { iterations: 300, trials: 2, seed: 4, workers: 0 };

  it('continues trend, seasonality and adstock exactly as a holdout prediction does', async () => {
    // The same training rows fitted twice: once with the last 12 periods held out, once
    // without them. The second model's forecast of those periods, given their spend and
    // controls, must equal the first model's holdout prediction.
    const withHoldout = await fitMediaMix(table(120), { ...options, holdout: 12 });
    const truncated = await fitMediaMix(table(108), options);
    const model = parseModel(serializeModel(truncated.model));
    const future = (name: string) => ds.columns[name].slice(108, 120);
    const f = forecast(model, {
      periods: 12,
      media: Object.fromEntries(ds.truth.channels.map((c) => [c.name, future(c.spendColumn)])),
      baseline: Object.fromEntries(ds.controlColumns.map((name) => [name, future(name)])),
    });
    expect(f.periods).toBe(12);
    for (let i = 0; i < 12; i++) {
      expect(f.fitted[i]).toBeCloseTo(withHoldout.fitted[108 + i], 6);
    }
    expect(f.baseline.trend[0]).toBeCloseTo(withHoldout.decomposition.baseline.trend[108], 6);
  });

  it('holds controls at their mean and spend at its mean when not given', async () => {
    const fitted = await fitMediaMix(table(60), options);
    const f = forecast(fitted.model, { periods: 4 });
    const promo = fitted.model.baseline.find((b) => b.name === 'promo')!;
    const mean = promo.values.reduce((a, b) => a + b, 0) / promo.values.length;
    expect(f.baseline.promo[3]).toBeCloseTo(promo.coefficient * mean, 9);
    expect(() => forecast(fitted.model, { periods: 2, media: { tv: [1] } })).toThrow(
      "forecast: media 'tv' has 1 values, expected 2",
    );
    expect(() => forecast(fitted.model, { periods: 0 })).toThrow('periods must be >= 1');
  });
});

describe('forecast of daily data', () => {
  it('continues the day-of-week cycle exactly as a holdout prediction does', async () => {
    const ds = generateSyntheticDataset({ seed: 3, periods: 140, channels: 2, frequency: 'daily' });
    const weekday = [0.06, -0.02, -0.03, -0.01, 0.0, 0.04, -0.04];
    const kpi = ds.columns[ds.kpiColumn].map((v, t) => v * (1 + weekday[t % 7]));
    const table = (rows: number) => ({
      dates: ds.dates.slice(0, rows),
      kpi: kpi.slice(0, rows),
      controls: ds.controlColumns.map((name) => ({
        name,
        values: ds.columns[name].slice(0, rows),
      })),
      paid: ds.truth.channels.map((c) => ({
        name: c.name,
        values: ds.columns[c.spendColumn].slice(0, rows),
      })),
    });
    const options = { iterations: 200, trials: 1, seed: 2, workers: 0 };
    const withHoldout = await fitMediaMix(table(140), { ...options, holdout: 10 });
    const truncated = await fitMediaMix(table(130), options);
    const model = parseModel(serializeModel(truncated.model));
    expect(model.baseline.find((b) => b.name === 'weekday_sin1')?.extension).toEqual({
      kind: 'fourier',
      fn: 'sin',
      harmonic: 1,
      period: 7,
    });
    const future = (name: string) => ds.columns[name].slice(130, 140);
    const f = forecast(model, {
      periods: 10,
      media: Object.fromEntries(ds.truth.channels.map((c) => [c.name, future(c.spendColumn)])),
      baseline: Object.fromEntries(ds.controlColumns.map((name) => [name, future(name)])),
    });
    for (let i = 0; i < 10; i++) {
      expect(f.fitted[i]).toBeCloseTo(withHoldout.fitted[130 + i], 6);
    }
  });
});
