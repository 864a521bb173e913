import { Counter, Gauge, Histogram, type Registry } from '@mmm/platform';

/** Pending messages of a work queue ('training' or 'task'), or null when unknown. */
export type QueueDepth = (queue: 'training' | 'task') => Promise<number | null>;

/** What a training worker measures (served on its /metrics). */
export function trainingMetrics(registry: Registry, depth?: QueueDepth) {
  return {
    jobDuration: new Histogram({
      name: 'modeling_training_job_duration_seconds',
      help: 'Wall time of a training job on its coordinator, from start to stored model, by outcome.',
      labelNames: ['outcome'],
      buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400],
      registers: [registry],
    }),
    jobsInFlight: new Gauge({
      name: 'modeling_training_jobs_in_flight',
      help: 'Training jobs this process coordinates now.',
      registers: [registry],
    }),
    tasksInFlight: new Gauge({
      name: 'modeling_training_tasks_in_flight',
      help: 'Parts of training jobs this process computes now.',
      registers: [registry],
    }),
    tasks: new Counter({
      name: 'modeling_training_tasks_total',
      help: 'Parts of training jobs this process computed, by kind (fit, trials, chains, finish).',
      labelNames: ['kind'],
      registers: [registry],
    }),
    candidates: new Counter({
      name: 'modeling_training_candidates_total',
      help: 'Search candidates evaluated by this process (rate: candidates per second).',
      registers: [registry],
    }),
    failures: new Counter({
      name: 'modeling_training_failures_total',
      help: 'Training jobs that ended without a model, by failure code.',
      labelNames: ['code'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'modeling_training_queue_depth',
      help: 'Training jobs and parts waiting on the work queue, by queue (training, task).',
      labelNames: ['queue'],
      registers: [registry],
      // Read on each scrape, from the consumers' pending counts.
      async collect() {
        if (!depth) return;
        for (const queue of ['training', 'task'] as const) {
          const pending = await depth(queue).catch(() => null);
          if (pending !== null) this.set({ queue }, pending);
        }
      },
    }),
  };
}

export type TrainingMetrics = ReturnType<typeof trainingMetrics>;

/** What the API measures. */
export function driftMetrics(registry: Registry) {
  return {
    driftMape: new Gauge({
      name: 'modeling_drift_mape',
      help: "MAPE of a production model's predictions on the newer periods of its dataset's series.",
      labelNames: ['workspace', 'dataset', 'model'],
      registers: [registry],
    }),
  };
}
