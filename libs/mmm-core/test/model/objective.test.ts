import type { CandidateContextInput } from '../../src/candidate';
import { nrmse } from '../../src/metrics';
import { parseModel, predict, serializeModel } from '../../src/model';
import { buildFittedModel } from '../../src/outputs';
import { searchMediaMix } from '../../src/search';
import { smallMediaMix } from '../outputs/fixture';

// A stored model must predict what the search scored: otherwise the model users load is not
// the model that was chosen.
describe('a saved model reproduces the search objective', () => {
  const { input } = smallMediaMix(3);
  const rows = input.kpi.length;
  const cases: Array<[string, Partial<CandidateContextInput>]> = [
    ['geometric', { adstock: 'geometric' }],
    ['weibull_cdf with a max lag', { adstock: 'weibull_cdf', weibullMaxLag: 2 }],
    ['weibull_pdf with a max lag', { adstock: 'weibull_pdf', weibullMaxLag: 3 }],
    ['logistic saturation', { saturation: 'logistic' }],
    ['a synergy term', { adstock: 'weibull_cdf', interactions: [['tv', 'search']] }],
    [
      'logistic saturation with a synergy term',
      { saturation: 'logistic', interactions: [['tv', 'social']] },
    ],
  ];

  it.each(cases)('gives the chosen NRMSE to 1e-9 (%s)', async (_name, extra) => {
    const searchInput: CandidateContextInput = {
      ...input,
      ...extra,
      // Weibull scales up to 0.3 of the window reach past a short max lag.
      channels: input.channels.map((c) => ({ ...c, bounds: { scale: [0.05, 0.3] } })),
      window: { start: 0, end: rows - 8 },
    };
    const search = await searchMediaMix(searchInput, {
      iterations: 60,
      trials: 1,
      seed: 2,
      workers: 0,
      selection: 'best-fit',
    });
    const outputs = buildFittedModel(searchInput, search.chosenParameters);
    const model = parseModel(serializeModel(outputs.model));
    const fitted = predict(model);
    const trainEnd = model.periods.trainEnd;
    const stored = nrmse(
      Float64Array.from(model.actual).subarray(0, trainEnd),
      fitted.subarray(0, trainEnd),
    );
    expect(Math.abs(stored - search.chosenObjectives[0])).toBeLessThan(1e-9);
    if (extra.weibullMaxLag !== undefined) {
      expect(model.channels[0].adstock.maxLag).toBe(extra.weibullMaxLag);
    }
  });
});
