/**
 * The whole fit of a media mix model from a table: baseline design (design/), NSGA-II search
 * of the hyperparameters on the training rows (search/), refit of the chosen candidate and
 * its outputs (fitted-model.ts). This is what the CLI and the modeling service call.
 *
 * The fit is a plan (planMediaMixFit: checks and the design, no search yet), the search's
 * stages (search/media-mix-search.ts, which may run apart on several machines) and the
 * completion (completeMediaMixFit). fitMediaMix runs them one after the other.
 */
import type { CandidateContextInput } from '../candidate';
import { mediaMixInput, type BaselineDesign, type MediaMixTableSpec } from '../design';
import type { BaselineExtension, KpiType, ModelProvenance } from '../model/model';
import {
  planMediaMixSearch,
  runMediaMixSearch,
  type MediaMixSearchOptions,
  type MediaMixSearchPlan,
  type MediaMixSearchResult,
} from '../search';
import { ENGINE } from '../version';
import { buildFittedModel, type FitOutputs } from './fitted-model';
import { MODEL_DRAW_DEFAULTS } from './uncertainty';

export interface FitMediaMixOptions extends MediaMixSearchOptions {
  adstock?: CandidateContextInput['adstock'];
  /** Last periods kept out of the fit (train/holdout split by time). Default 0. */
  holdout?: number;
  kpiName?: string;
  kpiType?: KpiType;
  /**
   * Block-bootstrap refits at the chosen hyperparameters for the conditional intervals kept
   * under `uncertainty.bootstrap` (0 = none, default).
   */
  bootstrapSamples?: number;
  /**
   * The model's draws (outputs/uncertainty.ts), kept in the model with the intervals over them
   * (`uncertainty.combined`): default 200; 0 = none.
   */
  draws?: number;
  /** Probability of the central intervals over the draws (default 0.9). */
  intervalLevel?: number;
  responseMultipliers?: number[];
  /** Extra ridge and transform options (intercept sign, RSSD zero penalty, ...). */
  context?: Omit<CandidateContextInput, 'kpi' | 'baseline' | 'channels' | 'window' | 'adstock'>;
  /** Where the data and settings came from, recorded in the model's provenance. */
  source?: Pick<ModelProvenance, 'dataset' | 'config'>;
}

export interface FitMediaMixResult extends FitOutputs {
  search: Omit<MediaMixSearchResult, 'chosenResult'>;
}

/** A checked fit, ready for its search: the design, the candidate input and the search plan. */
export interface MediaMixFitPlan {
  table: MediaMixTableSpec;
  options: FitMediaMixOptions;
  rows: number;
  holdout: number;
  design: BaselineDesign;
  input: CandidateContextInput;
  search: MediaMixSearchPlan;
}

/**
 * Checks the table and options (holdout, inactive channels, lift tests) and builds the design;
 * throws RangeError naming the problem.
 */
export function planMediaMixFit(
  table: MediaMixTableSpec,
  options: FitMediaMixOptions = {},
): MediaMixFitPlan {
  const rows = table.kpi.length;
  const holdout = Math.trunc(options.holdout ?? 0);
  if (!(holdout >= 0 && rows - holdout >= 8)) {
    throw new RangeError(
      `holdout of ${holdout} periods leaves ${rows - holdout} training periods; at least 8 are needed`,
    );
  }
  // A channel with no activity in the training rows cannot be estimated: the ridge would
  // give it coefficient 0 and its ROAS would be undefined, silently.
  const channels = [...table.paid, ...(table.organic ?? [])];
  for (const channel of channels) {
    let active = false;
    for (let t = 0; t < rows - holdout && !active; t++) active = channel.values[t] !== 0;
    if (!active) {
      const where =
        holdout > 0 ? `every training period (the first ${rows - holdout})` : 'every period';
      throw new RangeError(`channel ${channel.name} is zero in ${where}; it cannot be estimated`);
    }
  }
  const { design, ...input } = mediaMixInput(table, {
    ...options.context,
    adstock: options.adstock ?? 'geometric',
    window: { start: 0, end: rows - holdout },
  });
  if (options.liftTests?.some((test) => test.end >= rows - holdout)) {
    throw new RangeError('lift tests must lie in the training periods, before the holdout');
  }
  return {
    table,
    options,
    rows,
    holdout,
    design,
    input,
    search: planMediaMixSearch(input, options),
  };
}

/** The fitted model and its outputs from the plan's finished search. */
export function completeMediaMixFit(
  plan: MediaMixFitPlan,
  search: MediaMixSearchResult,
): FitMediaMixResult {
  const { design, options, table } = plan;
  const baselineGroups = Object.fromEntries(
    design.names.map((name, j) => [name, design.groups[j]]),
  );
  const baselineExtensions: Record<string, BaselineExtension> = {};
  design.names.forEach((name, j) => {
    const group = design.groups[j];
    // Each Fourier column (yearly season, and the day-of-week cycle of daily data) continues
    // on its own period, as the design recorded it.
    const fourier = design.fourier[j];
    if (group === 'trend') baselineExtensions[name] = { kind: 'linear' };
    else if (fourier) baselineExtensions[name] = { kind: 'fourier', ...fourier };
    else if (group === 'holiday') baselineExtensions[name] = { kind: 'constant', value: 0 };
  });
  const posterior = search.posterior;
  const outputs = buildFittedModel(plan.input, search.chosenParameters, {
    kpiName: options.kpiName,
    kpiType: options.kpiType,
    dates: table.dates.slice(),
    periodDays: design.frequency === 'weekly' ? 7 : 1,
    baselineGroups,
    baselineExtensions,
    responseMultipliers: options.responseMultipliers,
    bootstrap:
      options.bootstrapSamples && options.bootstrapSamples > 0
        ? { samples: options.bootstrapSamples, seed: options.seed ?? 1 }
        : undefined,
    draws: {
      draws: options.draws ?? MODEL_DRAW_DEFAULTS.draws,
      level: options.intervalLevel ?? MODEL_DRAW_DEFAULTS.level,
      seed: options.seed ?? 1,
      hyperparameters: posterior?.genomes,
    },
    posteriorRoas: posterior
      ? {
          draws: posterior.draws,
          level: 0.9,
          channels: posterior.roas.map((r) => ({ ...r })),
        }
      : undefined,
    // The workers and the timing describe the run, not the model: they stay out, so that
    // the same data, settings and seed give the same model on any number of threads.
    provenance: {
      engine: { name: ENGINE.name, version: ENGINE.version },
      seed: search.settings.seed,
      search: {
        algorithm: 'NSGA-II (Deb et al. 2002)',
        iterations: search.settings.iterations,
        trials: search.settings.trials,
        populationSize: search.settings.populationSize,
        candidates: search.count,
        paretoFrontSize: search.paretoFront.length,
        selection: search.selection,
        objectives: Object.fromEntries(
          search.objectiveNames.map((name, k) => [name, search.chosenObjectives[k]]),
        ),
        hyperparameters: Object.fromEntries(
          search.layout.names.map((name, j) => [name, search.chosenParameters[j]]),
        ),
        ...(posterior
          ? {
              posterior: {
                chains: posterior.chains,
                steps: posterior.steps,
                priorStrength: posterior.priorStrength,
                draws: posterior.draws,
                acceptance: posterior.acceptance,
              },
            }
          : {}),
      },
      ...options.source,
    },
  });
  // The chosen candidate's raw evaluator result is superseded by the outputs above.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { chosenResult: _chosen, ...searchSummary } = search;
  return { ...outputs, search: searchSummary };
}

export async function fitMediaMix(
  table: MediaMixTableSpec,
  options: FitMediaMixOptions = {},
): Promise<FitMediaMixResult> {
  const plan = planMediaMixFit(table, options);
  const search = await runMediaMixSearch(plan.search, options.onProgress);
  return completeMediaMixFit(plan, search);
}
