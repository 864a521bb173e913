import { randomUUID } from 'node:crypto';
import { signedIdentityHeaders, type Role } from '../identity';

/** The signing secret every service under test is started with. */
export const TEST_SIGNING_SECRET = 'test-signing-secret-of-at-least-32-characters';

export interface TestCaller {
  workspace?: string;
  role?: Role;
  subject?: string;
  requestId?: string;
  /** Another secret than the services' (to prove it is refused). */
  secret?: string;
  /** When the headers were signed (to prove a stale signature is refused). */
  now?: number;
}

/**
 * The headers the gateway would send for a caller (an admin of `default` unless told): a request
 * id and the identity signed with the test secret.
 */
export function gatewayHeaders(caller: TestCaller = {}): Record<string, string> {
  const requestId = caller.requestId ?? randomUUID();
  return {
    'x-request-id': requestId,
    ...signedIdentityHeaders(
      {
        subject: caller.subject ?? 'test-user',
        role: caller.role ?? 'admin',
        workspaceId: caller.workspace ?? 'default',
      },
      caller.secret ?? TEST_SIGNING_SECRET,
      requestId,
      caller.now,
    ),
  };
}
