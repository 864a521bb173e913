import type { ServiceEvents } from '@mmm/platform';

// What modeling exchanges on NATS (subjects mmm.v1.<entity>.<event>). Training does not exist yet
// (issue 3), so it consumes and publishes nothing today; it will take jobs on mmm.v1.jobs.training,
// report training.progress|completed|failed and publish model.trained.
export const EVENTS: ServiceEvents = { consumes: [], publishes: [] };
