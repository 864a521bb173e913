// `npm run bench:training`: training as a service, measured. Starts its own platform (nats-server,
// the ingestion subgraph, the modeling API and training workers, compiled, on free ports), then:
// - the time from ingestDataset to a stored model for 156 weeks x 8 channels, default settings;
// - /healthz latency of the worker while that job trains (p50, p99, max);
// - the wall time of one 10,000-candidate job (2,000 x 5, posterior choice) on one worker
//   process (whole, the default), and split into parts of 4,000 candidates on one and on two.
// Prints a markdown table for docs/BENCHMARKS.md. Nothing is asserted.
import { cpus, loadavg } from 'node:os';
import { generateSyntheticDataset, toCsv } from '@mmm/core';
import { benchGql, startBenchPlatform } from './bench-platform';

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function main() {
  const platform = await startBenchPlatform();
  try {
    const ingestion = await platform.start('ingestion', 'ingestion');
    const api = await platform.start('modeling', 'modeling');
    const worker = (name: string, env: Record<string, string> = {}) =>
      platform.start(name, 'modeling', { MODELING_ROLE: 'worker', ...env });

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
        const { trainingJob } = await benchGql(
          api.url,
          `query ($id: ID!) { trainingJob(id: $id) { status error tasks } }`,
          { id },
          await platform.callerHeaders('subgraph'),
        );
        if (trainingJob.status === 'SUCCEEDED') return trainingJob;
        if (trainingJob.status !== 'QUEUED' && trainingJob.status !== 'RUNNING') {
          throw new Error(JSON.stringify(trainingJob));
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const train = async (datasetId: string, input: Record<string, unknown> = {}) => {
      const started = performance.now();
      const { trainModel } = await benchGql(
        api.url,
        `mutation ($input: TrainModelInput!) { trainModel(input: $input) { id } }`,
        { input: { datasetId, ...input } },
        await platform.callerHeaders('subgraph'),
      );
      const job = await waitJob(trainModel.id);
      return { seconds: (performance.now() - started) / 1000, tasks: job.tasks as number };
    };

    // 1. ingestDataset -> stored model, defaults, one worker; its /healthz polled meanwhile.
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
    const { ingestDataset } = await benchGql(
      ingestion.url,
      `mutation ($input: IngestDatasetInput!) { ingestDataset(input: $input) { id } }`,
      { input: { content: toCsv(data), frequency: 'WEEKLY', roles } },
      await platform.callerHeaders('subgraph'),
    );
    const ingested = (performance.now() - t0) / 1000;
    const first = await train(ingestDataset.id);
    const endToEnd = (performance.now() - t0) / 1000;
    polling = false;
    await poller;
    latencies.sort((a, b) => a - b);
    // The worker's own view: how late its event loop ran (prom-client samples it), which the
    // other processes on the cores do not add to as they add to the /healthz round trip.
    const metrics = await (await fetch(`${one.url}/metrics`)).text();
    const lag = (name: string) =>
      1000 *
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(metrics)?.[1] ?? NaN);

    // 2. The same 10,000-candidate job: whole on one worker, split on one, split over two.
    const runs: Array<{ label: string; seconds: number; tasks: number }> = [];
    const seeds = [11, 12];
    for (const seed of seeds) {
      runs.push({
        label: 'one worker process, whole (the default)',
        ...(await train(ingestDataset.id, { seed })),
      });
    }
    await platform.stop(one);
    const split = { TRAINING_PART_CANDIDATES: '4000' };
    const split1 = await worker('worker-split-1', split);
    for (const seed of seeds) {
      runs.push({
        label: 'one worker process, parts of 4,000',
        ...(await train(ingestDataset.id, { seed: seed + 10 })),
      });
    }
    const split2 = await worker('worker-split-2', split);
    for (const seed of seeds) {
      runs.push({
        label: 'two worker processes, parts of 4,000',
        ...(await train(ingestDataset.id, { seed: seed + 20 })),
      });
    }
    await platform.stop(split2);
    await platform.stop(split1);

    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(', ');
    const lines = [
      `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}; load average at the end ${load}.`,
      '',
      '| figure | value |',
      '| --- | --- |',
      `| ingestDataset of 156 weeks x 8 channels (CSV through the ingestion subgraph) | ${ingested.toFixed(2)} s |`,
      `| ingestDataset -> stored model, default settings (2,000 x 5, posterior; ${first.tasks} part), one worker | ${endToEnd.toFixed(2)} s |`,
      `| worker /healthz while training: p50 / p99 / max (${latencies.length} requests) | ${quantile(latencies, 0.5).toFixed(1)} / ${quantile(latencies, 0.99).toFixed(1)} / ${latencies[latencies.length - 1].toFixed(1)} ms |`,
      `| worker event-loop delay since start: p99 / max | ${lag('nodejs_eventloop_lag_p99_seconds').toFixed(1)} / ${lag('nodejs_eventloop_lag_max_seconds').toFixed(1)} ms |`,
    ];
    for (const label of [...new Set(runs.map((r) => r.label))]) {
      const mine = runs.filter((r) => r.label === label);
      lines.push(
        `| 10,000-candidate job, ${label}: ${mine[0].tasks} part(s), trainModel -> SUCCEEDED | ${mine.map((r) => r.seconds.toFixed(2)).join(' s, ')} s |`,
      );
    }
    console.log(lines.join('\n'));
  } finally {
    await platform.stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
