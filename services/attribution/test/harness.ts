import {
  fitMediaMix,
  generateSyntheticDataset,
  parseJourneys,
  serializeModel,
  type KpiType,
  type MediaMixModel,
} from '@mmm/core';
import {
  encodeJourneyTable,
  JOURNEY_KINDS,
  MODEL_KINDS,
  workspaceStorage,
  type JourneyDatasetDescriptor,
  type Storage,
  type StoredModelArtifact,
} from '@mmm/platform';

// Journeys and models as ingestion and modeling store them, written through the platform's
// contracts (never through those services' code), for the attribution service to read.

/** Stores a journey file (canonical CSV) as a journey dataset; returns its id. */
export async function storeJourneys(
  storage: Storage,
  workspaceId: string,
  id: string,
  csv: string,
): Promise<JourneyDatasetDescriptor> {
  const parsed = parseJourneys(csv);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => i.message).join('\n'));
  const { table } = parsed;
  const channels = table.channels.map((name, c) => {
    const touched = new Set<number>();
    let touchpoints = 0;
    for (let j = 0; j < table.journeyIds.length; j++) {
      for (let t = table.offsets[j]; t < table.offsets[j + 1]; t++) {
        if (table.channelIndex[t] !== c) continue;
        touchpoints++;
        touched.add(j);
      }
    }
    const conversions = [...touched].filter((j) => table.converted[j] === 1).length;
    return { name, touchpoints, journeys: touched.size, conversions };
  });
  const times = Array.from(table.timestamps);
  const first = new Date(Math.min(...times)).toISOString();
  const last = new Date(Math.max(...times)).toISOString();
  const descriptor: JourneyDatasetDescriptor = {
    schemaVersion: 1,
    id,
    workspaceId,
    name: id,
    status: 'ACTIVE',
    journeys: table.journeyIds.length,
    touchpoints: times.length,
    conversions: table.converted.reduce((a, b) => a + b, 0),
    value: table.conversionValue.reduce((a, b) => a + b, 0),
    channels,
    firstTouchpointAt: first,
    lastTouchpointAt: last,
    startDate: first.slice(0, 10),
    endDate: last.slice(0, 10),
    cost: null,
    contentSha256: '0'.repeat(64),
    tableFile: `${id}-t`,
  };
  const scoped = workspaceStorage(storage, workspaceId);
  await scoped.files.put(
    JOURNEY_KINDS.table,
    descriptor.tableFile,
    encodeJourneyTable({ schemaVersion: 1, datasetId: id, ...table }),
  );
  await scoped.kv.datasets.put(JOURNEY_KINDS.dataset, id, descriptor);
  return descriptor;
}

/**
 * A model the engine fits (a small search) on 60 synthetic weeks from Monday 2024-01-01, with
 * channels tv, radio and ooh.
 */
export async function fittedModel(kpiType: KpiType): Promise<MediaMixModel> {
  const ds = generateSyntheticDataset({
    seed: 7,
    periods: 60,
    channels: 3,
    startDate: '2024-01-01',
  });
  const fit = await fitMediaMix(
    {
      dates: ds.dates,
      kpi: ds.columns[ds.kpiColumn],
      controls: ds.controlColumns.map((name) => ({ name, values: ds.columns[name] })),
      paid: ds.truth.channels.map((c) => ({ name: c.name, values: ds.columns[c.spendColumn] })),
    },
    { iterations: 30, trials: 1, seed: 1, workers: 0, kpiType, kpiName: ds.kpiColumn },
  );
  return fit.model;
}

/** Stores a model's artifact as the modeling registry does (object `model`, its id). */
export async function storeModel(
  storage: Storage,
  workspaceId: string,
  id: string,
  model: MediaMixModel,
): Promise<void> {
  const artifact: StoredModelArtifact = {
    schemaVersion: 1,
    model: JSON.parse(serializeModel(model)) as unknown,
    paretoFront: [],
  };
  await workspaceStorage(storage, workspaceId).files.put(
    MODEL_KINDS.model,
    id,
    new TextEncoder().encode(JSON.stringify(artifact)),
  );
}
