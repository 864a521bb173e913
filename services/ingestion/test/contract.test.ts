import { readDataset, readDatasetTable, workspaceStorage } from '@mmm/platform';
import { fileRows, toCsvText } from './fixtures';
import { eventually, startRig, type Rig } from './harness';

jest.setTimeout(30_000);

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.stop();
});

// Other services read datasets through the platform's contract, never through this service's
// code: what ingestion stores must read back through it.
it('stores datasets that the platform dataset contract reads back', async () => {
  const ws = rig.workspace();
  const reply = await rig.gql<{ ingestDataset: { id: string } }>(
    `mutation ($input: IngestDatasetInput!) { ingestDataset(input: $input) { id } }`,
    {
      input: {
        content: toCsvText(fileRows(30)),
        frequency: 'WEEKLY',
        roles: {
          date: 'date',
          kpi: 'revenue',
          kpiType: 'REVENUE',
          paidMedia: [{ spend: 'tv' }, { spend: 'search', exposure: 'search_clicks' }],
          organic: ['newsletter'],
          controls: ['price'],
        },
      },
    },
    ws,
  );
  const id = reply.data!.ingestDataset.id;
  const storage = workspaceStorage(rig.ingestion.storage, ws);
  const dataset = await readDataset(storage, id);
  expect(dataset).toMatchObject({
    id,
    workspaceId: ws,
    status: 'ACTIVE',
    kpiType: 'REVENUE',
    kpiColumn: 'revenue',
    frequency: 'WEEKLY',
    channels: [
      { name: 'tv', spendColumn: 'tv', exposureColumn: null },
      { name: 'search', spendColumn: 'search', exposureColumn: 'search_clicks' },
    ],
    organic: ['newsletter'],
    controls: ['price'],
    periodCount: 30,
  });
  const table = await readDatasetTable(storage, dataset!);
  expect(table.datasetId).toBe(id);
  expect(table.dates).toHaveLength(30);
  expect(table.columns.map((c) => [c.name, c.role, c.channel])).toEqual([
    ['revenue', 'KPI', null],
    ['tv', 'PAID_SPEND', 'tv'],
    ['search', 'PAID_SPEND', 'search'],
    ['search_clicks', 'PAID_EXPOSURE', 'search'],
    ['newsletter', 'ORGANIC', 'newsletter'],
    ['price', 'CONTROL', null],
  ]);
  expect(await readDataset(storage, 'ds_00000000000000000000')).toBeNull();
});

it('announces a dataset to be trained with autoTrain on dataset.ingested, the id unchanged', async () => {
  const ws = rig.workspace();
  const input = (autoTrain: boolean) => ({
    input: {
      content: toCsvText(fileRows(30)),
      frequency: 'WEEKLY',
      autoTrain,
      roles: { date: 'date', kpi: 'revenue', kpiType: 'REVENUE', paidMedia: [{ spend: 'tv' }] },
    },
  });
  const mutation = `mutation ($input: IngestDatasetInput!) { ingestDataset(input: $input) { id autoTrain } }`;
  const reply = await rig.gql<{ ingestDataset: { id: string; autoTrain: boolean } }>(
    mutation,
    input(true),
    ws,
  );
  expect(reply.errors).toBeUndefined();
  expect(reply.data?.ingestDataset.autoTrain).toBe(true);
  const event = await eventually(() => rig.eventsOf(ws).find((e) => e.name === 'dataset.ingested'));
  expect(event.message).toMatchObject({ datasetId: reply.data?.ingestDataset.id, autoTrain: true });
  const other = rig.workspace();
  const plain = await rig.gql<{ ingestDataset: { id: string } }>(mutation, input(false), other);
  expect(plain.data?.ingestDataset.id).toBe(reply.data?.ingestDataset.id);
});
