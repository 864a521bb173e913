import {
  DatasetContractError,
  PermanentFailure,
  readDataset,
  readDatasetTable,
  type DatasetDescriptor,
  type StoredTable,
  type WorkspaceStorage,
} from '@mmm/platform';

/** Object-store kind of the results the parts of a split job hand each other. */
export const RESULT_KIND = 'training-result';

export interface TrainingData {
  dataset: DatasetDescriptor;
  table: StoredTable;
}

/**
 * A dataset and its table, read through the platform's dataset contract; the table of a
 * content hash never changes, so the last few stay in memory (the parts of one job all need
 * it). A missing or unreadable dataset is a permanent failure.
 */
export function trainingDataSource(size = 8) {
  const tables = new Map<string, StoredTable>();
  return async function load(storage: WorkspaceStorage, datasetId: string): Promise<TrainingData> {
    let dataset: DatasetDescriptor | null;
    try {
      dataset = await readDataset(storage, datasetId);
    } catch (error) {
      if (error instanceof DatasetContractError) {
        throw new PermanentFailure('DATASET_UNREADABLE', error.message, { cause: error });
      }
      throw error;
    }
    if (!dataset) {
      throw new PermanentFailure(
        'DATASET_NOT_FOUND',
        `dataset ${datasetId} was not found in workspace ${storage.workspaceId}`,
      );
    }
    const key = `${storage.workspaceId}/${dataset.tableFile}`;
    let table = tables.get(key);
    if (!table) {
      try {
        table = await readDatasetTable(storage, dataset);
      } catch (error) {
        if (error instanceof DatasetContractError) {
          throw new PermanentFailure('DATASET_UNREADABLE', error.message, { cause: error });
        }
        throw error;
      }
      tables.set(key, table);
      while (tables.size > size) tables.delete(tables.keys().next().value as string);
    }
    return { dataset, table };
  };
}

export type TrainingDataSource = ReturnType<typeof trainingDataSource>;
