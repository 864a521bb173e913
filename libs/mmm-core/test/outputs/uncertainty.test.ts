import {
  decompose,
  modelAtDraw,
  modelDraws,
  parseModel,
  responseCurve,
  serializeModel,
} from '../../src/model';
import { buildFittedModel, drawInterval, drawModelUncertainty } from '../../src/outputs';
import { smallMediaMix } from './fixture';

// A parsed model edited by hand: the tests break fields on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

describe('model draws', () => {
  const { input, truth } = smallMediaMix(4);
  const rows = input.kpi.length;
  const trained = { ...input, window: { start: 0, end: rows } };
  // The genome ends with lambda_hp, held as the chains hold it.
  const lambdaIndex = truth.length - 1;
  // A hyperparameter pool around the truth: each theta, alpha and gamma moved by up to 20%.
  const pool = new Float64Array(50 * truth.length);
  for (let i = 0; i < 50; i++) {
    for (let j = 0; j < truth.length; j++) {
      const wiggle = j === lambdaIndex ? 0 : 0.2 * Math.sin(7.3 * i + 1.7 * j);
      pool[i * truth.length + j] = truth[j] * (1 + wiggle);
    }
  }
  const fitted = buildFittedModel(trained, truth, {
    draws: { draws: 40, seed: 5, hyperparameters: pool },
  });
  const model = fitted.model;

  it('keeps each draw as a whole model whose figures are the intervals’ draws', () => {
    const u = model.uncertainty!;
    expect(u.level).toBe(0.9);
    expect(u.combined?.method).toBe('posterior-bootstrap');
    expect(u.draws?.count).toBe(40);
    const draws = modelDraws(model);
    expect(draws).toHaveLength(40);
    // ROAS of each drawn model from its own decomposition: the interval is their quantiles.
    const tv = model.channels[0];
    const roas = draws.map((m) => {
      const parts = decompose(m).media.tv;
      let sum = 0;
      for (let t = 0; t < rows; t++) sum += parts[t];
      return sum / (tv.meanSpend * rows);
    });
    // To the 7 significant digits the model keeps of each drawn parameter.
    const interval = u.combined!.channels[0].roas!;
    const expected = drawInterval(roas, 0.9)!;
    expect(interval.lower).toBeCloseTo(expected.lower, 5);
    expect(interval.upper).toBeCloseTo(expected.upper, 5);
    // Marginal ROAS likewise, from each draw's response curve.
    const marginal = draws.map((m) => responseCurve(m, 'tv', [tv.meanSpend])[0].marginal);
    expect(u.combined!.channels[0].marginalRoas!.median).toBeCloseTo(
      drawInterval(marginal, 0.9)!.median,
      5,
    );
    // The drawn hyperparameters are the pool's, not the chosen ones.
    const thetas = new Set(draws.map((m) => m.channels[0].adstock.theta));
    expect(thetas.size).toBeGreaterThan(20);
    // Effect shares of the paid channels sum to one in every draw, so their medians near it.
    const shares = u.combined!.channels.map((c) => c.effectShare!.median);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 1);
    for (const c of u.combined!.channels) {
      for (const key of ['contribution', 'roas', 'marginalRoas', 'effectShare'] as const) {
        expect(c[key]!.lower).toBeLessThanOrEqual(c[key]!.median);
        expect(c[key]!.median).toBeLessThanOrEqual(c[key]!.upper);
      }
      expect(c.contribution!.lower).toBeGreaterThanOrEqual(0);
    }
  });

  it('is wider with the hyperparameters drawn than at the chosen ones alone', () => {
    const conditional = drawModelUncertainty(trained, model, truth, { draws: 40, seed: 5 })!;
    expect(conditional.combined?.method).toBe('bootstrap');
    // Every draw at the chosen hyperparameters.
    expect(new Set(conditional.draws!.channels[0].adstock.theta).size).toBe(1);
    const width = (i: { lower: number; upper: number } | null) => i!.upper - i!.lower;
    let wider = 0;
    model.uncertainty!.combined!.channels.forEach((c, k) => {
      if (width(c.roas) > width(conditional.combined!.channels[k].roas)) wider++;
    });
    expect(wider).toBe(3);
  });

  it('gives the same draws for the same seed and other draws for another', () => {
    const again = drawModelUncertainty(trained, model, truth, {
      draws: 40,
      seed: 5,
      hyperparameters: pool,
    })!;
    expect(again.draws).toEqual(model.uncertainty!.draws);
    const other = drawModelUncertainty(trained, model, truth, {
      draws: 40,
      seed: 6,
      hyperparameters: pool,
    })!;
    expect(other.draws!.intercept).not.toEqual(model.uncertainty!.draws!.intercept);
  });

  it('round-trips the draws through JSON and checks their shape on the way in', () => {
    const json = serializeModel(model);
    const parsed = parseModel(json);
    expect(parsed.schemaVersion).toBe(4);
    expect(parsed.uncertainty?.draws).toEqual(model.uncertainty?.draws);
    expect(parsed.uncertainty?.combined).toEqual(model.uncertainty?.combined);
    expect(modelAtDraw(parsed, 7)).toEqual(modelAtDraw(model, 7));
    const broken = JSON.parse(json) as Loose;
    broken.uncertainty.draws.channels[1].coefficient.pop();
    expect(() => parseModel(JSON.stringify(broken))).toThrow(
      'invalid model: uncertainty.draws.channels[1].coefficient: expected 40 values, got 39',
    );
    const missing = JSON.parse(json) as Loose;
    missing.uncertainty.draws.baseline.pop();
    expect(() => parseModel(JSON.stringify(missing))).toThrow(
      'invalid model: uncertainty.draws.baseline: expected 2 columns, got 1',
    );
    const method = JSON.parse(json) as Loose;
    method.uncertainty.combined.method = 'guess';
    expect(() => parseModel(JSON.stringify(method))).toThrow(
      'invalid model: uncertainty.combined.method: expected one of posterior-bootstrap, bootstrap, got "guess"',
    );
  });

  it('reads a schema 3 model, which has no draws', () => {
    const v3 = JSON.parse(serializeModel(model)) as Loose;
    v3.schemaVersion = 3;
    delete v3.uncertainty.draws;
    delete v3.uncertainty.combined;
    const parsed = parseModel(JSON.stringify(v3));
    expect(parsed.schemaVersion).toBe(4);
    expect(modelDraws(parsed)).toEqual([]);
    expect(() => modelAtDraw(parsed, 0)).toThrow('the model has no draw 0 (it keeps 0)');
  });

  it('makes no draws when asked for none', () => {
    expect(drawModelUncertainty(trained, model, truth, { draws: 0 })).toBeNull();
  });
});
