import type { ServiceEvents } from '@mmm/platform';

// What attribution exchanges on NATS (subjects mmm.v1.<entity>.<event>). The methods do not exist
// yet, so it consumes and publishes nothing today; it will publish attribution.completed.
export const EVENTS: ServiceEvents = { consumes: [], publishes: [] };
