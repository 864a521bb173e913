// `npm run bench:serving`: what the gateway costs over the subgraph it routes to. Starts its own
// platform (nats-server, ingestion, modeling API and a training worker, the gateway), stores a
// dataset with a trained model, then loads on loopback with autocannon, bounded in time:
// - `{ datasets { id name } }` sent directly to ingestion and through the gateway, at 1 and 10
//   connections (one connection by a sequential client timed to the microsecond);
// - the same selection written with a fragment, which the gateway does not forward: Apollo's
//   whole pipeline, for comparison;
// - through the gateway only: a two-subgraph list (`datasets { models }`) and an entity fetch
//   (`dataset(id) { models }`, one `_entities` call to modeling).
// `--json` prints { cpuMsPerRequest: { ingestion, gateway, gatewayApollo }, direct: { c1, c10 },
// gateway: { c1, c10 }, apollo, twoSubgraphs, entity }, each but the first { rps, p50Ms, p99Ms }.
// GATEWAY_PROFILE=<dir> runs the gateway with --cpu-prof.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { generateSyntheticDataset, toCsv } from '@mmm/core';
import { benchGql, startBenchPlatform } from './bench-platform';
import { servingBenchConfig } from './config';

interface Figure {
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

async function load(
  url: string,
  query: string,
  connections: number,
  seconds: number,
  headers: Record<string, string>,
): Promise<Figure> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
    connections,
    duration: seconds,
  });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${failed} requests failed on ${url}`);
  return { rps: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99 };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/**
 * One connection, one request at a time, each timed to the microsecond: autocannon's latencies
 * are whole milliseconds, too coarse for the gateway's added p50 at one connection.
 */
async function sequential(
  url: string,
  query: string,
  seconds: number,
  headers: Record<string, string>,
): Promise<Figure> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ query });
  const send = () =>
    new Promise<number>((resolve, reject) => {
      const startedAt = process.hrtime.bigint();
      const request = http.request(
        url,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', ...headers },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            if (response.statusCode !== 200)
              reject(new Error(`${response.statusCode} from ${url}`));
            else resolve(Number(process.hrtime.bigint() - startedAt) / 1e6);
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  const startedAt = performance.now();
  while (performance.now() < until) latencies.push(await send());
  const elapsed = (performance.now() - startedAt) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    rps: latencies.length / elapsed,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

/** CPU time (user + system) a process has used so far, in ms; Linux /proc, 100 ticks a second. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (in parentheses, which may hold spaces): utime and stime are
  // the 14th and 15th of the line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A sequential run, with the CPU a process spent per request during it. */
async function sequentialWithCpu(
  pid: number | undefined,
  ...args: Parameters<typeof sequential>
): Promise<{ figure: Figure; cpuMsPerRequest: number }> {
  const before = cpuMs(pid);
  const startedAt = performance.now();
  const figure = await sequential(...args);
  const requests = (figure.rps * (performance.now() - startedAt)) / 1000;
  return { figure, cpuMsPerRequest: (cpuMs(pid) - before) / requests };
}

async function main() {
  const config = servingBenchConfig(process.argv.slice(2));
  const platform = await startBenchPlatform();
  try {
    const ingestion = await platform.start('ingestion', 'ingestion');
    const modeling = await platform.start('modeling', 'modeling');
    const worker = await platform.start('modeling-worker', 'modeling', { MODELING_ROLE: 'worker' });
    const gateway = await platform.start(
      'gateway',
      'gateway',
      { INGESTION_URL: `${ingestion.url}/graphql`, MODELING_URL: `${modeling.url}/graphql` },
      config.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${config.profileDir}`] : [],
    );

    const data = generateSyntheticDataset({ seed: 5, periods: 104, channels: 3 });
    const { ingestDataset } = await benchGql(
      ingestion.url,
      `mutation ($input: IngestDatasetInput!) { ingestDataset(input: $input) { id } }`,
      {
        input: {
          content: toCsv(data),
          frequency: 'WEEKLY',
          roles: {
            date: data.dateColumn,
            kpi: data.kpiColumn,
            kpiType: 'REVENUE',
            paidMedia: data.spendColumns.map((spend) => ({ spend })),
            controls: data.controlColumns,
          },
        },
      },
      await platform.callerHeaders('subgraph'),
    );
    const { trainModel } = await benchGql(
      modeling.url,
      `mutation ($input: TrainModelInput!) { trainModel(input: $input) { id } }`,
      { input: { datasetId: ingestDataset.id, iterations: 30, trials: 1 } },
      await platform.callerHeaders('subgraph'),
    );
    for (;;) {
      const { trainingJob } = await benchGql(
        modeling.url,
        `{ trainingJob(id: "${trainModel.id}") { status } }`,
        {},
        await platform.callerHeaders('subgraph'),
      );
      if (trainingJob.status === 'SUCCEEDED') break;
      if (trainingJob.status === 'FAILED') throw new Error('the model did not train');
      await new Promise((r) => setTimeout(r, 50));
    }
    await platform.stop(worker);

    const list = '{ datasets { id name } }';
    const direct = `${ingestion.url}/graphql`;
    const through = `${gateway.url}/graphql`;
    // Both paths pay for identity: the gateway verifies a bearer token and signs the identity
    // it sends; the subgraph verifies that signature (signed again per run: it holds a minute).
    const bearer = await platform.callerHeaders('gateway');
    const signed = () => platform.callerHeaders('subgraph');
    // Warm both paths (query plans, connections) before measuring.
    await load(through, list, 10, 1, bearer);
    await load(direct, list, 10, 1, await signed());
    const s = config.seconds;
    const directC1 = await sequentialWithCpu(
      ingestion.child.process.pid,
      direct,
      list,
      s,
      await signed(),
    );
    const gatewayC1 = await sequentialWithCpu(gateway.child.process.pid, through, list, s, bearer);
    const fragmented = '{ datasets { ...Listed } } fragment Listed on Dataset { id name }';
    const apolloC1 = await sequentialWithCpu(
      gateway.child.process.pid,
      through,
      fragmented,
      s,
      bearer,
    );
    const figures = {
      // CPU of one request, one at a time: the subgraph answering directly, the gateway routing.
      cpuMsPerRequest: {
        ingestion: Math.round(directC1.cpuMsPerRequest * 1000) / 1000,
        gateway: Math.round(gatewayC1.cpuMsPerRequest * 1000) / 1000,
        gatewayApollo: Math.round(apolloC1.cpuMsPerRequest * 1000) / 1000,
      },
      direct: {
        c1: directC1.figure,
        c10: await load(direct, list, 10, s, await signed()),
      },
      gateway: {
        c1: gatewayC1.figure,
        c10: await load(through, list, 10, s, bearer),
      },
      apollo: await load(through, fragmented, 10, s, bearer),
      twoSubgraphs: await load(
        through,
        '{ datasets { id name models { id version } } }',
        10,
        s,
        bearer,
      ),
      entity: await load(
        through,
        `{ dataset(id: "${ingestDataset.id}") { name models { id stage } } }`,
        10,
        s,
        bearer,
      ),
    };
    if (config.json) {
      console.log(JSON.stringify(figures, null, 2));
      return;
    }
    const row = (label: string, f: Figure) =>
      `| ${label} | ${Math.round(f.rps).toLocaleString('en-US')} | ${f.p50Ms} | ${f.p99Ms} |`;
    console.log(
      [
        `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}; ${s} s per row; load average at the end ${loadavg()
          .map((l) => l.toFixed(2))
          .join(', ')}.`,
        '',
        '| query | requests/s | p50 ms | p99 ms |',
        '| --- | --- | --- | --- |',
        row('`datasets { id name }`, ingestion direct, 1 connection', figures.direct.c1),
        row('same, through the gateway, 1 connection', figures.gateway.c1),
        row('`datasets { id name }`, ingestion direct, 10 connections', figures.direct.c10),
        row('same, through the gateway, 10 connections', figures.gateway.c10),
        row(
          'same with a fragment (not forwarded: Apollo pipeline), gateway, 10 connections',
          figures.apollo,
        ),
        row('`datasets { models }` (two subgraphs), gateway, 10 connections', figures.twoSubgraphs),
        row('`dataset(id) { models }` (entity fetch), gateway, 10 connections', figures.entity),
        '',
        `CPU per request at one connection: ingestion ${figures.cpuMsPerRequest.ingestion} ms answering directly, gateway ${figures.cpuMsPerRequest.gateway} ms forwarding it, ${figures.cpuMsPerRequest.gatewayApollo} ms through Apollo (the fragment form).`,
        `Gateway throughput at 10 connections: ${((100 * figures.gateway.c10.rps) / figures.direct.c10.rps).toFixed(0)}% of direct; added p50 at 1 connection: ${(figures.gateway.c1.p50Ms - figures.direct.c1.p50Ms).toFixed(2)} ms.`,
      ].join('\n'),
    );
  } finally {
    await platform.stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
