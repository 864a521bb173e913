import { randomUUID } from 'node:crypto';
import { signedIdentityHeaders } from '@mmm/platform';
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

/**
 * Reads a run through the gateway as the reporting service itself (a viewer of the report's
 * workspace, signed with the gateway signing secret: reports are also rendered on events, with
 * no person's token); null when there is none; throws with the gateway's reason.
 */
export function gatewayAttributionSource(
  gatewayUrl: string,
  signingSecret: string,
  timeoutMs = 10_000,
): AttributionSource {
  return async (workspaceId, id, headers = {}) => {
    const requestId = headers['x-request-id'] ?? randomUUID();
    const identity = { subject: 'service:reporting', role: 'viewer' as const, workspaceId };
    const res = await fetch(gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-workspace-id': workspaceId,
        'x-request-id': requestId,
        ...signedIdentityHeaders(identity, signingSecret, requestId),
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
