// `npm run bench:training`: training as a service, measured. Starts its own nats-server, the
// ingestion subgraph, the modeling API and training workers (compiled, as child processes, on
// free ports), then measures:
// - the time from ingestDataset to a stored model for 156 weeks x 8 channels, default settings;
// - /healthz latency of the worker while that job trains (p50, p99, max);
// - the wall time of one 10,000-candidate job (2,000 x 5, posterior choice) on one worker
//   process, whole and split into parts, and split over two worker processes.
// Prints the figures and a markdown table for docs/BENCHMARKS.md. Nothing is asserted.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import path from 'node:path';
import { generateSyntheticDataset, toCsv } from '@mmm/core';
import { natsServerBinary } from '@mmm/platform/testkit';
import { repoRoot } from './paths';
import { freePort, startChild, stopChild, waitListening, waitReady, type Child } from './processes';

interface Running {
  child: Child;
  url: string;
}

const children: Child[] = [];

function node(name: string, main: string, env: Record<string, string>, port: number): Running {
  const child = startChild(name, process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      SHUTDOWN_READY_GRACE_MS: '0',
      ...env,
      PORT: String(port),
    },
  });
  children.push(child);
  return { child, url: `http://127.0.0.1:${port}` };
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data ?? {};
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'mmm-bench-training-'));
  const natsPort = await freePort();
  const nats = startChild(
    'nats',
    natsServerBinary(),
    ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(natsPort)],
    {
      env: { PATH: process.env.PATH ?? '' },
    },
  );
  children.push(nats);
  await waitListening(natsPort, nats);
  const env = { NATS_URL: `nats://127.0.0.1:${natsPort}` };
  const main = (service: string) =>
    path.join(repoRoot, 'services', service, 'dist', 'src', 'main.js');
  const ingestion = node('ingestion', main('ingestion'), env, await freePort());
  const api = node('modeling', main('modeling'), env, await freePort());
  await Promise.all([ingestion, api].map((p) => waitReady(`${p.url}/readyz`, p.child)));
  const worker = async (name: string, extra: Record<string, string> = {}) => {
    const w = node(
      name,
      main('modeling'),
      { ...env, MODELING_ROLE: 'worker', SERVICE_NAME: name, ...extra },
      await freePort(),
    );
    await waitReady(`${w.url}/readyz`, w.child);
    return w;
  };

  const data = generateSyntheticDataset({ seed: 42, periods: 156, channels: 8 });
  const roles = {
    date: data.dateColumn,
    kpi: data.kpiColumn,
    kpiType: 'REVENUE',
    paidMedia: data.spendColumns.map((spend) => ({ spend })),
    controls: data.controlColumns,
  };
  const waitJob = async (id: string) => {
    for (;;) {
      const { trainingJob } = await gql(
        api.url,
        `query ($id: ID!) { trainingJob(id: $id) { status error tasks } }`,
        { id },
      );
      if (trainingJob.status === 'SUCCEEDED') return trainingJob;
      if (trainingJob.status !== 'QUEUED' && trainingJob.status !== 'RUNNING')
        throw new Error(JSON.stringify(trainingJob));
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const train = async (datasetId: string, input: Record<string, unknown> = {}) => {
    const started = performance.now();
    const { trainModel } = await gql(
      api.url,
      `mutation ($input: TrainModelInput!) { trainModel(input: $input) { id } }`,
      {
        input: { datasetId, ...input },
      },
    );
    const job = await waitJob(trainModel.id);
    return { seconds: (performance.now() - started) / 1000, tasks: job.tasks as number };
  };

  // 1. ingestDataset -> stored model, defaults, one worker; /healthz polled meanwhile.
  const one = await worker('worker-1');
  const latencies: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const t = performance.now();
      await fetch(`${one.url}/healthz`).then((r) => r.text());
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const t0 = performance.now();
  const { ingestDataset } = await gql(
    ingestion.url,
    `mutation ($input: IngestDatasetInput!) { ingestDataset(input: $input) { id } }`,
    { input: { content: toCsv(data), frequency: 'WEEKLY', roles } },
  );
  const ingested = (performance.now() - t0) / 1000;
  const first = await train(ingestDataset.id);
  const endToEnd = (performance.now() - t0) / 1000;
  polling = false;
  await poller;
  latencies.sort((a, b) => a - b);

  // 2. The same 10,000-candidate job: whole on one worker, split on one, split over two.
  const seeds = [11, 12];
  const runs: Array<{ label: string; seconds: number; tasks: number }> = [];
  const whole = await worker('worker-whole');
  await stopChild(one.child);
  for (const seed of seeds)
    runs.push({
      label: 'one worker process, whole',
      ...(await train(ingestDataset.id, { seed })),
    });
  await stopChild(whole.child);
  const split = { TRAINING_PART_CANDIDATES: '4000' };
  const split1 = await worker('worker-split-1', split);
  for (const seed of seeds)
    runs.push({
      label: 'one worker process, split (parts of 4,000)',
      ...(await train(ingestDataset.id, { seed: seed + 10 })),
    });
  const split2 = await worker('worker-split-2', split);
  for (const seed of seeds)
    runs.push({
      label: 'two worker processes, split (parts of 4,000)',
      ...(await train(ingestDataset.id, { seed: seed + 20 })),
    });
  await stopChild(split2.child);
  await stopChild(split1.child);

  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
  const lines = [
    `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}; load average at the end ${load}.`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| ingestDataset of 156 weeks x 8 channels (CSV through the ingestion subgraph) | ${ingested.toFixed(2)} s |`,
    `| ingestDataset -> stored model, default settings (2,000 x 5, posterior; ${first.tasks} parts), one worker | ${endToEnd.toFixed(2)} s |`,
    `| worker /healthz while training: p50 / p99 / max (${latencies.length} requests) | ${quantile(latencies, 0.5).toFixed(1)} / ${quantile(latencies, 0.99).toFixed(1)} / ${latencies[latencies.length - 1].toFixed(1)} ms |`,
  ];
  for (const label of [...new Set(runs.map((r) => r.label))]) {
    const mine = runs.filter((r) => r.label === label);
    lines.push(
      `| 10,000-candidate job, ${label} (${mine[0].tasks} parts), trainModel -> SUCCEEDED | ${mine.map((r) => r.seconds.toFixed(2)).join(' s, ')} s |`,
    );
  }
  console.log(lines.join('\n'));
  await Promise.all(children.map((c) => stopChild(c)));
  rmSync(dir, { recursive: true, force: true });
}

main().catch(async (error: unknown) => {
  console.error(error);
  await Promise.all(children.map((c) => stopChild(c)));
  process.exit(1);
});
