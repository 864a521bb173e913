/**
 * The gateway's door: who calls (a verified token), how often (per-caller rate), in which of
 * their workspaces, and — once the operation is parsed — whether their role may run it and
 * whether its body is within the limit for what it is. Each refusal has its HTTP status and
 * error code from the platform's registry.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import {
  SOURCE_PULL_MUTATIONS,
  UPLOAD_MUTATIONS,
  requiredRole,
  roleAtLeast,
  rootFieldNames,
  type ErrorCode,
} from '@mmm/platform';
import { GraphQLError } from 'graphql';
import { AuthenticationError, type Authenticator, type Caller } from './auth';
import { WORKSPACE_HEADER, type GatewayContext } from './context';
import type { RateLimiter } from './rate-limit';

const WORKSPACE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A request turned away before it reaches Apollo. */
export class DoorRefusal extends Error {
  override readonly name = 'DoorRefusal';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly field?: string,
  ) {
    super(message);
  }

  get body() {
    return {
      errors: [
        {
          message: this.message,
          extensions: { code: this.code, ...(this.field ? { field: this.field } : {}) },
        },
      ],
    };
  }
}

type HeaderSource = { get(name: string): string | undefined | null };

export interface Door {
  /** The caller and workspace of a request, or a DoorRefusal (401, 429, 400, 403). */
  admit(headers: HeaderSource, requestId: string): Promise<{ caller: Caller; workspaceId: string }>;
}

export function createDoor(authenticator: Authenticator, rateLimiter: RateLimiter): Door {
  return {
    async admit(headers, requestId) {
      let caller: Caller;
      try {
        caller = await authenticator.authenticate(headers, requestId);
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        throw new DoorRefusal(401, 'UNAUTHENTICATED', `Unauthenticated: ${error.message}.`, {
          'www-authenticate': 'Bearer error="invalid_token"',
        });
      }
      const wait = rateLimiter.take(caller.subject);
      if (wait > 0) {
        throw new DoorRefusal(
          429,
          'TOO_MANY_REQUESTS',
          `Too many requests from ${caller.subject}: retry in ${wait} s.`,
          { 'retry-after': String(wait) },
        );
      }
      const named = headers.get(WORKSPACE_HEADER);
      if (named === undefined || named === null) {
        return { caller, workspaceId: caller.workspaces[0] };
      }
      if (!WORKSPACE_ID.test(named)) {
        throw new DoorRefusal(
          400,
          'BAD_USER_INPUT',
          `Header ${WORKSPACE_HEADER} must be 1 to 64 letters, digits, '-' or '_'.`,
          {},
          WORKSPACE_HEADER,
        );
      }
      if (!caller.workspaces.includes(named)) {
        // The same answer whether or not the workspace exists: nothing to infer from it.
        throw new DoorRefusal(
          403,
          'FORBIDDEN',
          `Forbidden: the caller may not act in workspace ${named}.`,
          {},
          WORKSPACE_HEADER,
        );
      }
      return { caller, workspaceId: named };
    },
  };
}

export interface OperationLimits {
  /** The body limit of every operation but file uploads. */
  maxBodyBytes: number;
  /** The request timeout of source pulls (SOURCE_PULL_MUTATIONS), which wait on other systems. */
  pullTimeoutMs: number;
}

/**
 * Refuses, once Apollo has parsed the operation, a root field the caller's role may not run
 * (FORBIDDEN), and a body over the ordinary limit unless every root field is a file upload
 * (PAYLOAD_TOO_LARGE); gives an operation of source pulls only the pull timeout.
 */
export function operationGuard({
  maxBodyBytes,
  pullTimeoutMs,
}: OperationLimits): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          if (!operation) return;
          const fields = rootFieldNames(operation, document);
          const role = contextValue.identity.role;
          for (const field of fields) {
            const needed = requiredRole(operation.operation, field);
            if (!roleAtLeast(role, needed)) {
              throw new GraphQLError(
                `Forbidden: ${field} needs the ${needed} role; the caller is ${role}.`,
                { extensions: { code: 'FORBIDDEN', http: { status: 403 } } },
              );
            }
          }
          const only = (names: ReadonlySet<string>) =>
            operation.operation === 'mutation' &&
            fields.length > 0 &&
            fields.every((f) => names.has(f));
          const upload = only(UPLOAD_MUTATIONS);
          if (contextValue.bodyBytes > maxBodyBytes && !upload) {
            throw new GraphQLError(
              `The request body is ${contextValue.bodyBytes} bytes; the limit is ${maxBodyBytes} bytes but for file uploads.`,
              { extensions: { code: 'PAYLOAD_TOO_LARGE', http: { status: 413 } } },
            );
          }
          if (only(SOURCE_PULL_MUTATIONS)) contextValue.deadline.extendTo(pullTimeoutMs);
        },
      };
    },
  };
}
