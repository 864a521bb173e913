import { buildFittedModel } from '../../src/outputs';
import {
  decompose,
  parseModel,
  predict,
  responseCurve,
  serializeModel,
  type MediaMixModel,
} from '../../src/model';
import { smallMediaMix } from '../outputs/fixture';

// A parsed model edited by hand: the tests break fields on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

describe('serialized model', () => {
  const { input, truth } = smallMediaMix(2);
  const rows = input.kpi.length;
  const outputs = buildFittedModel({ ...input, window: { start: 0, end: rows - 8 } }, truth, {
    kpiName: 'revenue',
    baselineGroups: { trend: 'trend', promo: 'control' },
    dates: Array.from({ length: rows }, (_, i) =>
      new Date(Date.UTC(2022, 0, 3 + 7 * i)).toISOString().slice(0, 10),
    ),
    periodDays: 7,
  });
  const json = serializeModel(outputs.model);

  it('round-trips through JSON with its schema version', () => {
    const parsed = parseModel(json);
    expect(parsed.schemaVersion).toBe(4);
    expect(parsed).toEqual(JSON.parse(json));
    expect(parsed.periods.dates?.[1]).toBe('2022-01-10');
  });

  it('predicts the fitted series without the training pipeline', () => {
    const parsed = parseModel(json);
    const p = predict(parsed);
    for (let t = 0; t < rows; t++) expect(p[t]).toBeCloseTo(outputs.fitted[t], 6);
  });

  it('changes only the channel whose spend a scenario changes', () => {
    const parsed = parseModel(json);
    const base = decompose(parsed);
    const doubled = parsed.channels[1].history.map((v) => 2 * v);
    const scenario = decompose(parsed, { media: { [parsed.channels[1].name]: doubled } });
    expect(scenario.media.tv).toEqual(base.media.tv);
    expect(scenario.media.search[10]).toBeGreaterThan(base.media.search[10]);
    expect(() => predict(parsed, { media: { radio: doubled } })).toThrow(
      "the model has no channel 'radio'",
    );
  });

  it('draws an increasing, concave-at-the-top response curve from the JSON alone', () => {
    const parsed = parseModel(json);
    const tv = parsed.channels[0];
    const points = responseCurve(parsed, 'tv', [
      0,
      tv.meanSpend,
      3 * tv.meanSpend,
      10 * tv.meanSpend,
    ]);
    expect(points[0].response).toBe(0);
    expect(points[1].response).toBeGreaterThan(0);
    expect(points[3].response).toBeGreaterThan(points[2].response);
    expect(points[3].marginal).toBeLessThan(points[1].marginal);
    expect(points[3].response).toBeLessThanOrEqual(tv.coefficient);
    expect(() => responseCurve(parsed, 'radio', [1])).toThrow("the model has no channel 'radio'");
    expect(() => responseCurve(parsed, 'tv', [-1])).toThrow('must be a finite number >= 0');
  });

  function broken(edit: (m: Loose) => void): string {
    const m = JSON.parse(json) as Loose;
    edit(m);
    return JSON.stringify(m);
  }

  it.each([
    [
      (m: Loose) => (m.schemaVersion = 1),
      'invalid model: schemaVersion: expected 2, 3 or 4, got 1',
    ],
    [
      (m: Loose) => (m.channels[1].saturation.alpha = 'x'),
      'invalid model: channels[1].saturation.alpha: expected a finite number, got "x"',
    ],
    [
      (m: Loose) => (m.channels[0].saturation = { type: 'logistic', lam: 2 }),
      'invalid model: channels[0].saturation.scale: expected a finite number, got undefined',
    ],
    [
      (m: Loose) => (m.interactions = [{ a: 'tv', b: 'radio', coefficient: 1 }]),
      "invalid model: interactions[0].b: no channel named 'radio'",
    ],
    [
      (m: Loose) => m.channels[0].history.pop(),
      `invalid model: channels[0].history: expected ${104} values, got 103`,
    ],
    [
      (m: Loose) => (m.adstock = 'exponential'),
      'invalid model: adstock: expected one of geometric, weibull_cdf, weibull_pdf, got "exponential"',
    ],
    [(m: Loose) => delete m.kpi, 'invalid model: kpi: expected an object, got undefined'],
    [
      (m: Loose) => (m.channels[1].costPerUnit = 0),
      'invalid model: channels[1].costPerUnit: expected a number > 0, got 0',
    ],
    [
      (m: Loose) => (m.channels[2].name = m.channels[0].name),
      "invalid model: channels[2].name: channel 'tv' appears twice",
    ],
  ])('rejects a malformed model with a message naming the field (%#)', (edit, message) => {
    expect(() => parseModel(broken(edit))).toThrow(message);
  });

  it('reads a schema 2 model, its untyped provenance typed on the way in', () => {
    const v2 = JSON.parse(json) as Loose;
    v2.schemaVersion = 2;
    v2.provenance = {
      algorithm: 'NSGA-II (Deb et al. 2002)',
      iterations: 100,
      trials: 2,
      seed: 7,
      populationSize: 10,
      workers: 2,
      candidates: 200,
      paretoFrontSize: 9,
      selection: 'knee',
      objectives: { nrmse: 0.05, decompRssd: 0.1 },
      hyperparameters: { tv_thetas: 0.3, lambda: 0.5 },
    };
    const parsed = parseModel(JSON.stringify(v2));
    expect(parsed.schemaVersion).toBe(4);
    expect(parsed.provenance).toEqual({
      engine: { name: '@mmm/core', version: 'unknown (schema 2)' },
      seed: 7,
      search: {
        algorithm: 'NSGA-II (Deb et al. 2002)',
        iterations: 100,
        trials: 2,
        populationSize: 10,
        candidates: 200,
        paretoFrontSize: 9,
        selection: 'knee',
        objectives: { nrmse: 0.05, decompRssd: 0.1 },
        hyperparameters: { tv_thetas: 0.3, lambda: 0.5 },
      },
    });
    expect(predict(parsed)).toEqual(predict(parseModel(json)));
  });

  it('keeps the bootstrap intervals in the model and checks them on the way in', () => {
    const withIntervals = buildFittedModel(
      { ...input, window: { start: 0, end: rows - 8 } },
      truth,
      { kpiName: 'revenue', bootstrap: { samples: 20, seed: 3 } },
    );
    const parsed = parseModel(serializeModel(withIntervals.model));
    const tv = parsed.uncertainty?.bootstrap?.channels.find((c) => c.name === 'tv');
    const fromOutputs = withIntervals.intervals?.channels.find((c) => c.name === 'tv');
    expect(parsed.uncertainty?.level).toBe(0.9);
    expect(tv?.roas?.lower).toBe(fromOutputs?.roas?.lower);
    expect(tv?.contribution?.upper).toBe(fromOutputs?.contribution.upper);
    const edited = JSON.parse(serializeModel(withIntervals.model)) as Loose;
    edited.uncertainty.bootstrap.channels[0].name = 'radio';
    expect(() => parseModel(JSON.stringify(edited))).toThrow(
      "invalid model: uncertainty.bootstrap.channels[0].name: no channel named 'radio'",
    );
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseModel('{"schemaVersion": 2,')).toThrow(/^invalid model: \(root\): not JSON/);
  });

  it('refuses to serialize a non-finite number', () => {
    const m: MediaMixModel = { ...outputs.model, intercept: NaN };
    expect(() => serializeModel(m)).toThrow(
      'invalid model: intercept: NaN cannot be stored in JSON',
    );
  });
});
