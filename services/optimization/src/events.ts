import type { ServiceEvents } from '@mmm/platform';

// What optimization exchanges on NATS (subjects mmm.v1.<entity>.<event>). The allocator does not
// exist yet, so it consumes and publishes nothing today; it will consume model.trained (default
// scenario) and publish optimization.completed.
export const EVENTS: ServiceEvents = { consumes: [], publishes: [] };
