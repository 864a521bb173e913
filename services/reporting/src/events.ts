import type { EventName } from '@mmm/platform';

// What reporting exchanges on NATS. The renderer does not exist yet, so it neither consumes nor
// publishes anything today; it will consume model.trained and optimization.completed and publish
// report.generated.
export const consumes: readonly EventName[] = [];
export const publishes: readonly EventName[] = [];
