import type { EventName } from '@mmm/platform';

// What optimization exchanges on NATS. The allocator does not exist yet, so it neither consumes
// nor publishes anything today; it will consume model.trained (default scenario) and publish
// optimization.completed.
export const consumes: readonly EventName[] = [];
export const publishes: readonly EventName[] = [];
