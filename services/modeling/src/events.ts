import type { ServiceEvents } from '@mmm/platform';

// What modeling exchanges on NATS (subjects mmm.v1.<entity>.<event>), by role.
//
// The API consumes dataset.ingested (auto-train, drift of production models; journey datasets,
// kind JOURNEYS, are left alone) and
// training.requested (commands from integrations and schedules, the same path as trainModel);
// it puts jobs on mmm.v1.jobs.training, publishes training.failed for a job cancelled while
// queued, and model.promoted when a model becomes its dataset's production model.
export const API_EVENTS: ServiceEvents = {
  consumes: ['dataset.ingested', 'training.requested'],
  publishes: ['training.failed', 'model.promoted'],
};

// The worker takes jobs from mmm.v1.jobs.training and their parts from
// mmm.v1.jobs.training-task, and reports training.progress, training.completed, training.failed
// and model.trained.
export const WORKER_EVENTS: ServiceEvents = {
  consumes: [],
  publishes: ['training.progress', 'training.completed', 'training.failed', 'model.trained'],
};
