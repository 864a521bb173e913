import type { ServiceEvents } from '@mmm/platform';

// What reporting exchanges on NATS (subjects mmm.v1.<entity>.<event>). The renderer does not exist
// yet, so it consumes and publishes nothing today; it will consume model.trained and
// optimization.completed and publish report.generated.
export const EVENTS: ServiceEvents = { consumes: [], publishes: [] };
