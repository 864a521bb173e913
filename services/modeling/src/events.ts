import type { EventName } from '@mmm/platform';

// What modeling exchanges on NATS. Training does not exist yet (issue 3), so it neither consumes
// nor publishes anything today; when it does it will take `mmm.v1.jobs.training`, report
// training.progress|completed|failed and publish model.trained.
export const consumes: readonly EventName[] = [];
export const publishes: readonly EventName[] = [];
