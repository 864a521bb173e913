import type { ServiceEvents } from '@mmm/platform';

// What reporting exchanges on NATS (subjects mmm.v1.<entity>.<event>): a model promoted to
// production and a solved budget scenario each get their report, and every rendered report is
// announced on report.generated (Nats-Msg-Id report.generated:<workspace>:<report id>).
export const EVENTS: ServiceEvents = {
  consumes: ['model.promoted', 'optimization.completed'],
  publishes: ['report.generated'],
};
