import { publishEvent, type JetStreamClient, type ServiceEvents } from '@mmm/platform';
import type { AttributionRecord } from './domain/attributions';
import type { AttributionAnnouncer, RequestScope } from './domain/run';

// What attribution exchanges on NATS (subjects mmm.v1.<entity>.<event>). It consumes nothing: it
// reads journey datasets and models through the platform contracts when asked. It publishes
// attribution.completed (a run's comparison table is stored; mmm.v1.AttributionCompleted).
export const EVENTS: ServiceEvents = { consumes: [], publishes: ['attribution.completed'] };

/** Nats-Msg-Id of a run's announcement: a run is announced once per workspace. */
export function completedMessageId(record: Pick<AttributionRecord, 'workspaceId' | 'id'>): string {
  return `attribution.completed:${record.workspaceId}:${record.id}`;
}

/** Publishes stored runs as protobuf events on JetStream; null cells travel as 0. */
export function natsAnnouncer(js: JetStreamClient): AttributionAnnouncer {
  return {
    async completed(record: AttributionRecord, scope: RequestScope) {
      await publishEvent(
        js,
        'attribution.completed',
        {
          workspaceId: record.workspaceId,
          attributionId: record.id,
          requestId: scope.requestId ?? '',
          datasetId: record.datasetId,
          modelId: record.modelId ?? '',
          totalConversions: record.totals.conversions,
          totalValue: record.totals.value,
          journeyCount: record.totals.journeys,
          columns: record.columns.map((column) => ({
            method: column.method.toLowerCase(),
            unit: column.unit.toLowerCase(),
            credits: record.channels.map((channel, c) => ({
              channel,
              conversions: column.conversions[c] ?? 0,
              value: column.value[c] ?? 0,
              share: column.share[c] ?? 0,
            })),
          })),
        },
        { msgId: completedMessageId(record), requestId: scope.requestId },
      );
    },
  };
}
