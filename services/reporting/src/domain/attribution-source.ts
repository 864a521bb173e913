import { parseReportAttribution, type ReportAttribution } from '@mmm/report';

// Attribution runs belong to the attribution service: reporting reads them through the
// gateway's GraphQL (attribution(id)), never from that service's storage or code.

const QUERY = `query ReportAttribution($id: ID!) {
  attribution(id: $id) { id results { method channels { channel credit share } } }
}`;

export type AttributionSource = (
  workspaceId: string,
  id: string,
  headers?: Record<string, string>,
) => Promise<ReportAttribution | null>;

/** Reads a run through the gateway; null when there is none; throws with the gateway's reason. */
export function gatewayAttributionSource(
  gatewayUrl: string,
  timeoutMs = 10_000,
): AttributionSource {
  return async (workspaceId, id, headers = {}) => {
    const res = await fetch(gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-workspace-id': workspaceId,
        ...(headers.authorization ? { authorization: headers.authorization } : {}),
        ...(headers['x-request-id'] ? { 'x-request-id': headers['x-request-id'] } : {}),
      },
      body: JSON.stringify({ query: QUERY, variables: { id } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json()) as {
      data?: { attribution?: unknown } | null;
      errors?: Array<{ message: string }>;
    };
    if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
    const run = body.data?.attribution;
    return run ? parseReportAttribution(run) : null;
  };
}
