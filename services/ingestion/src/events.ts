import {
  DatasetKind,
  Frequency as FrequencyPb,
  KpiType as KpiTypePb,
  publishEvent,
  scopedKey,
  type JetStreamClient,
  type ServiceEvents,
} from '@mmm/platform';
import type { DatasetAnnouncer, DatasetRecord, RequestScope } from './domain/catalog';
import { KINDS } from './domain/catalog';
import {
  JOURNEY_KIND,
  type JourneyAnnouncer,
  type JourneyDatasetRecord,
} from './domain/journey-catalog';

// What ingestion exchanges on NATS (subjects mmm.v1.<entity>.<event>). It consumes nothing. It
// publishes dataset.ingested (a dataset's files and metadata are durable; mmm.v1.DatasetIngested)
// and dataset.deleted (a dataset was marked deleted and its files removed; mmm.v1.DatasetDeleted).
// dataset.ingested says which kind of dataset it is (kind): a media mix table or journeys.
export const EVENTS: ServiceEvents = {
  consumes: [],
  publishes: ['dataset.ingested', 'dataset.deleted'],
};

/**
 * Nats-Msg-Id of an event: JetStream drops a repeat inside its duplicate window,
 * so a retried announcement is harmless. The workspace is part of it (the same
 * file in two workspaces is two datasets with one id), and so is the generation
 * (a dataset deleted and ingested again is announced again).
 */
export function eventMessageId(
  event: 'ingested' | 'deleted',
  record: Pick<DatasetRecord, 'workspaceId' | 'id' | 'generation'>,
): string {
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
          autoTrain: record.autoTrain ?? false,
          kind: DatasetKind.TABLE,
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

/** Publishes journey datasets on dataset.ingested, kind JOURNEYS (modeling leaves them alone). */
export function natsJourneyAnnouncer(js: JetStreamClient): JourneyAnnouncer {
  return {
    async ingested(record: JourneyDatasetRecord, scope: RequestScope) {
      await publishEvent(
        js,
        'dataset.ingested',
        {
          workspaceId: record.workspaceId,
          datasetId: record.id,
          requestId: scope.requestId ?? '',
          kind: DatasetKind.JOURNEYS,
          name: record.name,
          contentHash: record.contentSha256,
          mediaChannels: record.channels.map((c) => c.name),
          startDate: record.startDate,
          endDate: record.endDate,
          rawObject: scopedKey(record.workspaceId, JOURNEY_KIND.raw, record.rawFile),
          tableObject: scopedKey(record.workspaceId, JOURNEY_KIND.table, record.tableFile),
          journeyCount: record.journeys,
          touchpointCount: record.touchpoints,
          conversionCount: record.conversions,
          conversionValue: record.value,
        },
        { msgId: eventMessageId('ingested', record), requestId: scope.requestId },
      );
    },
  };
}
