import type { EventName } from '@mmm/platform';

// What attribution exchanges on NATS. The methods do not exist yet, so it neither consumes nor
// publishes anything today; it will publish attribution.completed.
export const consumes: readonly EventName[] = [];
export const publishes: readonly EventName[] = [];
