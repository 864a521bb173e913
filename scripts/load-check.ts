// `npm run load`: a bounded load check of the gateway's `datasets` query on loopback
// (GATEWAY_URL, DURATION_S and CONNECTIONS: see config.ts).
import autocannon from 'autocannon';
import { loadCheckConfig } from './config';
import { developmentTokens, localSecrets } from './local-auth';

async function main(): Promise<number> {
  const config = loadCheckConfig();
  const { gatewayUrl: url, durationS: duration, connections } = config;
  const token =
    config.token ?? (await developmentTokens(localSecrets(config.dataDir).jwtSecret)).viewer;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const body = JSON.stringify({
    operationName: 'LoadCheckDatasets',
    query: 'query LoadCheckDatasets { datasets { id name } }',
  });

  // One request first, so that a stack that is down fails fast with a clear message.
  const probe = await fetch(url, {
    method: 'POST',
    headers,
    body,
  }).catch((err: Error) => err);
  if (probe instanceof Error || !probe.ok) {
    const why = probe instanceof Error ? probe.message : `HTTP ${probe.status}`;
    console.error(`gateway at ${url} does not answer (${why}): start it with \`npm start\`.`);
    return 1;
  }
  const answer = (await probe.json()) as { errors?: unknown[] };
  if (answer.errors?.length) {
    console.error(`datasets query fails: ${JSON.stringify(answer.errors)}`);
    return 1;
  }

  console.log(`load check: ${url}, ${connections} connections for ${duration} s`);
  const result = await autocannon({
    url,
    method: 'POST',
    headers,
    body,
    connections,
    duration,
  });
  const failed = result.errors + result.timeouts + result.non2xx;
  console.log(
    [
      `requests/s  ${result.requests.average.toFixed(0)}`,
      `latency p50 ${result.latency.p50} ms`,
      `latency p99 ${result.latency.p99} ms`,
      `requests    ${result.requests.total} (${failed} failed)`,
    ].join('\n'),
  );
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
