import {
  Frequency as FrequencyPb,
  KpiType as KpiTypePb,
  eventSubject,
  publishEvent,
  scopedKey,
  type JetStreamClient,
} from '@mmm/platform';
import type { DatasetAnnouncer, DatasetRecord, RequestScope } from './domain/catalog';
import { KINDS } from './domain/catalog';

// Ingestion consumes no events. It publishes:
export const PUBLISHED = {
  /** A dataset's files and metadata are durable (protobuf mmm.v1.DatasetIngested). */
  ingested: eventSubject('dataset.ingested'),
  /** A dataset was marked deleted and its files removed (mmm.v1.DatasetDeleted). */
  deleted: eventSubject('dataset.deleted'),
} as const;

export const CONSUMED = {} as const;

/**
 * Nats-Msg-Id of an event: JetStream drops a repeat inside its duplicate window,
 * so a retried announcement is harmless. The workspace is part of it (the same
 * file in two workspaces is two datasets with one id), and so is the generation
 * (a dataset deleted and ingested again is announced again).
 */
export function eventMessageId(event: 'ingested' | 'deleted', record: DatasetRecord): string {
  return `dataset.${event}:${record.workspaceId}:${record.id}:${record.generation}`;
}

/** Publishes the catalog's announcements as protobuf events on JetStream. */
export function natsAnnouncer(js: JetStreamClient): DatasetAnnouncer {
  return {
    async ingested(record: DatasetRecord, scope: RequestScope) {
      await publishEvent(
        js,
        'dataset.ingested',
        {
          workspaceId: record.workspaceId,
          datasetId: record.id,
          requestId: scope.requestId ?? '',
          name: record.name,
          contentHash: record.contentSha256,
          frequency: record.frequency === 'DAILY' ? FrequencyPb.DAILY : FrequencyPb.WEEKLY,
          dateColumn: record.dateColumn,
          kpiColumn: record.kpiColumn,
          kpiType: record.kpiType === 'REVENUE' ? KpiTypePb.REVENUE : KpiTypePb.CONVERSIONS,
          mediaChannels: record.channels.map((c) => c.name),
          organicChannels: record.organic,
          controlColumns: record.controls,
          periodCount: record.periodCount,
          startDate: record.startDate,
          endDate: record.endDate,
          rawObject: scopedKey(record.workspaceId, KINDS.raw, record.rawFile),
          tableObject: scopedKey(record.workspaceId, KINDS.table, record.tableFile),
        },
        { msgId: eventMessageId('ingested', record), requestId: scope.requestId },
      );
    },
    async deleted(record: DatasetRecord, scope: RequestScope) {
      await publishEvent(
        js,
        'dataset.deleted',
        { workspaceId: record.workspaceId, datasetId: record.id, requestId: scope.requestId ?? '' },
        { msgId: eventMessageId('deleted', record), requestId: scope.requestId },
      );
    },
  };
}
