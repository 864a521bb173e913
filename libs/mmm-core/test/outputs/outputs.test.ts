import { createCandidateContext, createCandidateEvaluator } from '../../src/candidate';
import {
  allocatorResponse,
  decompose,
  forecast,
  parseModel,
  responseCurve,
  serializeModel,
} from '../../src/model';
import { buildFittedModel } from '../../src/outputs';
import { ridgeFit } from '../../src/ridge';
import { smallMediaMix } from './fixture';

const groups = { trend: 'trend', promo: 'control' } as const;

describe('fitted model outputs', () => {
  const { input, truth } = smallMediaMix(1);
  const holdout = 12;
  const rows = input.kpi.length;
  const trainInput = { ...input, window: { start: 0, end: rows - holdout } };
  const outputs = buildFittedModel(trainInput, truth, {
    kpiName: 'revenue',
    baselineGroups: groups,
    bootstrap: { samples: 60, seed: 4 },
  });

  it('reproduces the candidate evaluator metrics on the training rows', () => {
    const evaluator = createCandidateEvaluator(createCandidateContext(trainInput));
    const r = evaluator.evaluate(truth);
    expect(outputs.train.nrmse).toBeCloseTo(r.nrmse, 10);
    expect(outputs.train.decompRssd).toBeCloseTo(r.decompRssd, 10);
    expect(outputs.train.adjustedRsq).toBeCloseTo(r.rsqAdjusted, 10);
    expect(outputs.train.rsq).toBeGreaterThan(0.8);
  });

  it('reports holdout metrics on the last periods', () => {
    expect(outputs.holdout?.periods).toBe(holdout);
    // Noise is 2% of the mean KPI: a right model misses the holdout by a few percent.
    expect(outputs.holdout?.mape).toBeLessThan(0.05);
    expect(outputs.model.metrics.holdout?.periods).toBe(holdout);
  });

  it('decomposes every period into parts that add up to the fitted KPI', () => {
    const d = outputs.decomposition;
    for (let t = 0; t < rows; t++) {
      let sum = d.intercept[t];
      for (const series of Object.values(d.baseline)) sum += series[t];
      for (const series of Object.values(d.media)) sum += series[t];
      expect(sum).toBeCloseTo(outputs.fitted[t], 6);
      expect(d.groups.trend?.[t]).toBeCloseTo(d.baseline.trend[t], 9);
    }
  });

  it('gives ROAS as contribution over spend and shares that sum to one', () => {
    let spendShare = 0;
    let effectShare = 0;
    for (const c of outputs.channels) {
      expect(c.roas).toBeCloseTo(c.contribution / c.spend, 10);
      expect(c.cpa).toBeCloseTo(c.spend / c.contribution, 10);
      spendShare += c.spendShare;
      effectShare += c.effectShare;
      expect(c.carryoverShare).toBeGreaterThanOrEqual(0);
      expect(c.carryoverShare).toBeLessThan(1);
    }
    expect(spendShare).toBeCloseTo(1, 12);
    expect(effectShare).toBeCloseTo(1, 12);
  });

  it('gives more carryover to the channel with the slowest decay', () => {
    const byName = Object.fromEntries(outputs.channels.map((c) => [c.name, c]));
    // theta: tv 0.5, social 0.3, search 0.1.
    expect(byName.tv.carryoverShare).toBeGreaterThan(byName.social.carryoverShare);
    expect(byName.social.carryoverShare).toBeGreaterThan(byName.search.carryoverShare);
  });

  it('draws response curves through the fitted contribution at current spend', () => {
    for (const c of outputs.channels) {
      const current = c.responseCurve.find(
        (p) => p.spend > 0 && Math.abs(p.spend / (c.spend / (rows - holdout)) - 1) < 1e-9,
      );
      expect(current).toBeDefined();
      expect(current!.response * (rows - holdout)).toBeCloseTo(c.contribution, 6);
      const responses = c.responseCurve.map((p) => p.response);
      for (let i = 1; i < responses.length; i++) {
        expect(responses[i]).toBeGreaterThanOrEqual(responses[i - 1]);
      }
      expect(c.marginalRoas).not.toBeNull();
    }
  });

  it('refits the same coefficients with the allocating ridge as the candidate evaluator', () => {
    const context = createCandidateContext(trainInput);
    const evaluator = createCandidateEvaluator(context);
    const r = evaluator.evaluate(truth);
    const n = context.end - context.start;
    const columns = [
      ...context.baseline.map((b) => b.subarray(0, n)),
      ...context.channelNames.map((_, c) => evaluator.media.subarray(c * n, (c + 1) * n)),
    ];
    const fit = ridgeFit(columns, context.kpi.subarray(0, n), {
      lambda: r.lambda,
      interceptSign: context.interceptSign,
      lower: context.coefficientLower,
      upper: context.coefficientUpper,
    });
    fit.coefficients.forEach((b, j) => expect(b).toBeCloseTo(r.coefficients[j], 6));
  });

  it('brackets each ROAS with a reproducible block-bootstrap interval', () => {
    const intervals = outputs.intervals!;
    expect(intervals.samples).toBe(60);
    expect(intervals.blockLength).toBe(Math.round(Math.cbrt(rows - holdout)));
    for (const c of outputs.channels) {
      const i = intervals.channels.find((x) => x.name === c.name)!;
      expect(i.roas!.lower).toBeLessThanOrEqual(c.roas!);
      expect(c.roas!).toBeLessThanOrEqual(i.roas!.upper);
      expect(i.roas!.upper - i.roas!.lower).toBeGreaterThan(0);
      expect(i.cpa!.lower).toBeCloseTo(c.spend / i.contribution.upper, 9);
    }
    const again = buildFittedModel(trainInput, truth, { bootstrap: { samples: 60, seed: 4 } });
    expect(again.intervals).toEqual(intervals);
  });

  it('gives CPA, not ROAS, the role of efficiency for a conversions KPI', () => {
    const conv = buildFittedModel(trainInput, truth, { kpiType: 'conversions' });
    expect(conv.model.kpi.type).toBe('conversions');
    expect(conv.channels[0].cpa).toBeCloseTo(
      conv.channels[0].spend / conv.channels[0].contribution,
      10,
    );
  });

  it('refuses a window that does not start at the first row', () => {
    expect(() => buildFittedModel({ ...input, window: { start: 4, end: rows } }, truth)).toThrow(
      'the training window must start at the first row',
    );
  });
});

describe('a channel modelled on exposures rather than spend', () => {
  const { input, truth } = smallMediaMix(5);
  const rows = input.kpi.length;
  // The same lambda for both fits: Robyn's lambda_max depends on the raw column scale.
  const base = { ...input, lambdaMax: 1e4, window: { start: 0, end: rows - 8 } };
  const onSpend = buildFittedModel(base, truth);
  // 10 impressions per unit of spend on tv: the transformed column, the fit and the money
  // must not change; only the unit of the modelled series does.
  const onExposure = buildFittedModel(
    {
      ...base,
      channels: base.channels.map((c, i) =>
        i === 0 ? { ...c, values: Array.from(c.values, (v) => 10 * v), spend: c.values } : c,
      ),
    },
    truth,
  );

  it('gives ROAS, marginal ROAS and response curves per unit of spend', () => {
    const a = onSpend.channels[0];
    const b = onExposure.channels[0];
    expect(b.spend).toBeCloseTo(a.spend, 6);
    expect(b.roas!).toBeCloseTo(a.roas!, 9);
    expect(b.marginalRoas! / a.marginalRoas!).toBeCloseTo(1, 6);
    b.responseCurve.forEach((p, i) => {
      expect(p.spend).toBeCloseTo(a.responseCurve[i].spend, 6);
      expect(p.response).toBeCloseTo(a.responseCurve[i].response, 6);
    });
  });

  it('stores the mean spend and the cost per unit of exposure', () => {
    const a = onSpend.model.channels[0];
    const b = onExposure.model.channels[0];
    expect(b.meanSpend).toBeCloseTo(a.meanSpend, 9);
    expect(a.costPerUnit).toBe(1);
    expect(b.costPerUnit).toBeCloseTo(0.1, 12);
    expect(b.carryoverMean).toBeCloseTo(10 * a.carryoverMean, 6);
    for (const spend of [0, a.meanSpend, 3 * a.meanSpend]) {
      expect(allocatorResponse(b, spend)).toBeCloseTo(allocatorResponse(a, spend), 6);
      expect(responseCurve(onExposure.model, 'tv', [spend])[0].response).toBeCloseTo(
        responseCurve(onSpend.model, 'tv', [spend])[0].response,
        6,
      );
    }
    // A forecast without spend continues at the mean exposure, not the mean spend.
    const fa = forecast(onSpend.model, { periods: 3 });
    const fb = forecast(onExposure.model, { periods: 3 });
    for (let i = 0; i < 3; i++) expect(fb.media.tv[i]).toBeCloseTo(fa.media.tv[i], 6);
  });
});

describe('a fitted model with logistic saturation and a synergy term', () => {
  const { input } = smallMediaMix(6);
  const rows = input.kpi.length;
  const trainInput = {
    ...input,
    saturation: 'logistic' as const,
    interactions: [['tv', 'search']] as Array<[string, string]>,
    window: { start: 0, end: rows - 8 },
  };
  // Per channel theta and lam, then lambda_hp.
  const parameters = [0.5, 2, 0.1, 3, 0.3, 1.5, 0.2];
  const outputs = buildFittedModel(trainInput, parameters, { bootstrap: { samples: 20 } });

  it('stores the logistic scale and the synergy coefficient the evaluator fitted', () => {
    const context = createCandidateContext(trainInput);
    const evaluator = createCandidateEvaluator(context);
    const r = evaluator.evaluate(parameters);
    expect(outputs.train.nrmse).toBeCloseTo(r.nrmse, 10);
    const tv = outputs.model.channels[0];
    expect(tv.saturation).toEqual({ type: 'logistic', lam: 2, scale: r.inflexions[0] });
    expect(outputs.model.interactions).toEqual([
      { a: 'tv', b: 'search', coefficient: r.coefficients[context.coefficientNames.length - 1] },
    ]);
  });

  it('decomposes the synergy apart from the channels and adds up to the fitted KPI', () => {
    const d = outputs.decomposition;
    const synergy = d.interactions['tv:search'];
    expect(synergy).toHaveLength(rows);
    for (let t = 0; t < rows; t++) {
      let sum = d.intercept[t] + synergy[t];
      for (const series of Object.values(d.baseline)) sum += series[t];
      for (const series of Object.values(d.media)) sum += series[t];
      expect(sum).toBeCloseTo(outputs.fitted[t], 6);
    }
    const parsed = parseModel(serializeModel(outputs.model));
    const again = decompose(parsed);
    for (let t = 0; t < rows; t++) expect(again.fitted[t]).toBeCloseTo(outputs.fitted[t], 9);
  });

  it("counts the synergy in a channel's response curve, the other channel at its history", () => {
    const model = outputs.model;
    const tv = outputs.channels[0];
    const n = model.periods.trainEnd;
    const synergy = outputs.decomposition.interactions['tv:search'];
    let synergyTotal = 0;
    for (let t = 0; t < n; t++) synergyTotal += synergy[t];
    const [current] = responseCurve(model, 'tv', [model.channels[0].meanSpend]);
    expect(current.response * n).toBeCloseTo(tv.contribution + synergyTotal, 6);
    expect(outputs.intervals?.channels).toHaveLength(3);
  });
});
