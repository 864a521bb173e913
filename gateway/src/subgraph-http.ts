import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

// The gateway's HTTP client to its subgraphs: node:http on a keep-alive agent, the request's
// headers and body in one write, the answer read as one string. Apollo's default fetcher
// (make-fetch-happen, a caching fetch written for npm) checks each request with a stack trace
// in its agent and cost more CPU than the subgraph's own work; Node's fetch (undici) streams the
// body through web streams in several writes. Measured in docs/BENCHMARKS.md (serving).

const agents = {
  'http:': new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, keepAliveMsecs: 1000, scheduling: 'lifo' }),
};

export interface SubgraphHttpResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** POSTs `body` to `url` with `headers`; rejects on a network error, resolves on any status. */
export function postToSubgraph(
  url: URL,
  headers: Record<string, string>,
  body: string,
): Promise<SubgraphHttpResponse> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(body);
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(
      url,
      {
        method: 'POST',
        agent: agents[url.protocol as 'http:' | 'https:'],
        headers: { ...headers, 'content-length': String(payload.byteLength) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            statusText: response.statusMessage ?? '',
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
