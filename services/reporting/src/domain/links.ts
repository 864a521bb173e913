import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Report files are reached by link (a browser following it cannot send the workspace header):
// the link carries an expiry and an HMAC over the workspace, the report and the expiry, issued
// only to a caller who could read the report through GraphQL. Whoever holds the link has that
// caller's right to this one report until it expires.

export interface LinkSigner {
  /** The query string (`expires=...&sig=...`) of a link to a report's files. */
  sign(workspaceId: string, reportId: string, now?: number): string;
  /** True when the link's signature matches and it has not expired. */
  verify(
    workspaceId: string,
    reportId: string,
    expires: string | null,
    sig: string | null,
    now?: number,
  ): boolean;
}

export function createLinkSigner(secret: string | undefined, ttlMs: number): LinkSigner {
  const key = secret ?? randomBytes(32).toString('hex');
  const mac = (workspaceId: string, reportId: string, expires: string) =>
    createHmac('sha256', key).update(`${workspaceId}/${reportId}/${expires}`).digest('hex');
  return {
    sign(workspaceId, reportId, now = Date.now()) {
      const expires = String(Math.floor((now + ttlMs) / 1000));
      return `expires=${expires}&sig=${mac(workspaceId, reportId, expires)}`;
    },
    verify(workspaceId, reportId, expires, sig, now = Date.now()) {
      if (!expires || !sig || !/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(sig))
        return false;
      if (Number(expires) * 1000 < now) return false;
      const expected = Buffer.from(mac(workspaceId, reportId, expires), 'hex');
      return timingSafeEqual(expected, Buffer.from(sig, 'hex'));
    },
  };
}
