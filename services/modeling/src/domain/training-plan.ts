import { defaultPosteriorSteps, POSTERIOR_DEFAULTS } from '@mmm/core';
import { candidateCount, usesPosterior, type TrainingSettings } from './training-settings';

// How a job's search is cut into parts (tasks) that any worker replica may take: whole when it
// is small, else trial ranges, then posterior chain ranges, then the part that builds the model.
// The cut never changes the model: each trial and each chain is seeded on its own.

export type TaskKind = 'fit' | 'trials' | 'chains' | 'finish';

export interface PlannedTask {
  id: string;
  kind: TaskKind;
  from: number;
  to: number;
  /** Work units (candidates or chain steps), for progress. */
  work: number;
}

export interface SplitPolicy {
  /** Split when the search has at least this many candidates (0: never). */
  shardCandidates: number;
  /** Posterior chains per part. */
  chainsPerTask: number;
}

/** The parts of a job, phase by phase: a phase starts once every part of the one before is done. */
export function planTasks(
  jobId: string,
  settings: TrainingSettings,
  policy: SplitPolicy,
): PlannedTask[][] {
  const count = candidateCount(settings);
  const chains = usesPosterior(settings) ? POSTERIOR_DEFAULTS.chains : 0;
  const steps = chains > 0 ? defaultPosteriorSteps(count, chains) : 0;
  // Whole trials per part; a split that would leave one part of trials is no split.
  const perTask = Math.max(1, Math.floor(policy.shardCandidates / settings.iterations));
  const split = policy.shardCandidates > 0 && Math.ceil(settings.trials / perTask) >= 2;
  if (!split) {
    return [[{ id: `${jobId}-fit`, kind: 'fit', from: 0, to: 0, work: count + chains * steps }]];
  }
  const trials: PlannedTask[] = [];
  for (let from = 0; from < settings.trials; from += perTask) {
    const to = Math.min(settings.trials, from + perTask);
    trials.push({
      id: `${jobId}-trials-${from}-${to}`,
      kind: 'trials',
      from,
      to,
      work: (to - from) * settings.iterations,
    });
  }
  const phases: PlannedTask[][] = [trials];
  if (chains > 0) {
    const perChainTask = Math.max(1, policy.chainsPerTask);
    const chainTasks: PlannedTask[] = [];
    for (let from = 0; from < chains; from += perChainTask) {
      const to = Math.min(chains, from + perChainTask);
      chainTasks.push({
        id: `${jobId}-chains-${from}-${to}`,
        kind: 'chains',
        from,
        to,
        work: (to - from) * steps,
      });
    }
    phases.push(chainTasks);
  }
  phases.push([{ id: `${jobId}-finish`, kind: 'finish', from: 0, to: 0, work: 0 }]);
  return phases;
}

/** Posterior steps after the search (0 without posterior), for a whole-fit part's progress. */
export function chainStepsOf(settings: TrainingSettings): number {
  if (!usesPosterior(settings)) return 0;
  return POSTERIOR_DEFAULTS.chains * defaultPosteriorSteps(candidateCount(settings));
}
