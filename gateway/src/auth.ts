/**
 * Who calls the gateway: a bearer JWT verified with jose — HS256 with a shared secret for local
 * use, RS256/ES256 through a JWKS URL in production (keys fetched, cached and refetched on an
 * unknown key id) — or, for the platform's own services, an identity signed with the gateway
 * signing secret (the same headers the gateway sends the subgraphs).
 *
 * jose 5 is pinned: jose 6 ships only ES modules, which the CommonJS build and jest here cannot
 * load; 5.x gets security fixes and has the same verification API.
 */
import {
  SignJWT,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
} from 'jose';
import {
  IDENTITY_HEADER,
  IDENTITY_SIGNATURE_HEADER,
  IDENTITY_TIMESTAMP_HEADER,
  IdentityError,
  highestRole,
  isRole,
  verifySignedIdentity,
  type Role,
} from '@mmm/platform';

/** A caller the gateway let in. */
export interface Caller {
  subject: string;
  role: Role;
  /** Workspaces the caller may act in; the first is the one used when a request names none. */
  workspaces: string[];
}

export interface AuthSettings {
  /** HS256 secret (at least 32 characters) for locally minted tokens. */
  jwtSecret?: string;
  /** JWKS of the identity provider for RS256/ES256 tokens. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Tolerated clock difference for exp/nbf/iat, in seconds. */
  clockSkewSeconds: number;
  /** The gateway signing secret: the platform's own services may present a signed identity. */
  signingSecret: string;
}

/** Why a request was not let in; the message says what is wrong with the credentials. */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
}

const WORKSPACE = /^[-_a-zA-Z0-9]{1,64}$/;
const ASYMMETRIC = ['RS256', 'ES256'];
// Verified tokens are remembered until they expire (at most a minute), so a busy front-end's
// repeated token costs one signature check a minute, not one per request.
const CACHE_MS = 60_000;
const CACHE_SIZE = 10_000;

function claimsToCaller(payload: JWTPayload): Caller {
  const subject = payload.sub;
  if (typeof subject !== 'string' || subject === '') {
    throw new AuthenticationError('the token has no subject (sub)');
  }
  const listed = Array.isArray(payload.roles) ? payload.roles : [payload.role];
  const roles = listed.filter(isRole);
  const role = highestRole(roles);
  if (!role) {
    throw new AuthenticationError('the token names no role (roles: viewer, analyst or admin)');
  }
  const workspaces = payload.workspaces;
  if (
    !Array.isArray(workspaces) ||
    workspaces.length === 0 ||
    !workspaces.every((w) => typeof w === 'string' && WORKSPACE.test(w))
  ) {
    throw new AuthenticationError(
      'the token names no workspaces (workspaces: a list of 1-64 characters of [-_a-zA-Z0-9])',
    );
  }
  return { subject, role, workspaces: workspaces as string[] };
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const names: Record<string, string> = {
      aud: 'audience',
      iss: 'issuer',
      nbf: 'not-before time',
      iat: 'issue time',
      sub: 'subject',
    };
    const reason = error.reason === 'missing' ? 'missing' : 'not accepted';
    return `the token's ${names[error.claim] ?? error.claim} (${error.claim}) is ${reason}`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token algorithm is not accepted';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return 'the token signature does not verify';
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the JWKS matches the token';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) {
    return 'the token is malformed';
  }
  return 'the token cannot be verified';
}

export interface Authenticator {
  /** The caller of a request, from its headers; an AuthenticationError otherwise. */
  authenticate(
    headers: { get(name: string): string | null | undefined },
    requestId: string,
  ): Promise<Caller>;
}

export function createAuthenticator(settings: AuthSettings): Authenticator {
  const secret = settings.jwtSecret ? new TextEncoder().encode(settings.jwtSecret) : undefined;
  const jwks = settings.jwksUrl
    ? createRemoteJWKSet(new URL(settings.jwksUrl), {
        cacheMaxAge: 10 * 60_000,
        cooldownDuration: 30_000,
      })
    : undefined;
  const cache = new Map<string, { caller: Caller; until: number }>();

  async function verifyToken(token: string): Promise<{ caller: Caller; exp: number }> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new AuthenticationError('the token is malformed');
    }
    // Each key answers only its own algorithms: an HS256 token is never checked against a
    // public key (algorithm confusion), and `none` is accepted by neither.
    const options = {
      issuer: settings.issuer,
      audience: settings.audience,
      clockTolerance: settings.clockSkewSeconds,
      requiredClaims: ['exp', 'sub'],
    };
    let payload: JWTPayload;
    try {
      if (alg === 'HS256' && secret) {
        payload = (await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] })).payload;
      } else if (alg && ASYMMETRIC.includes(alg) && jwks) {
        payload = (await jwtVerify(token, jwks, { ...options, algorithms: ASYMMETRIC })).payload;
      } else {
        throw new AuthenticationError(`the token algorithm ${alg ?? '(none)'} is not accepted`);
      }
    } catch (error) {
      if (error instanceof AuthenticationError) throw error;
      throw new AuthenticationError(describeJoseError(error));
    }
    // requiredClaims makes exp present.
    return { caller: claimsToCaller(payload), exp: payload.exp as number };
  }

  return {
    async authenticate(headers, requestId) {
      const authorization = headers.get('authorization');
      if (!authorization) {
        if (headers.get(IDENTITY_HEADER)) {
          const signed: Record<string, string | undefined> = {};
          for (const name of [
            IDENTITY_HEADER,
            IDENTITY_TIMESTAMP_HEADER,
            IDENTITY_SIGNATURE_HEADER,
          ]) {
            signed[name] = headers.get(name) ?? undefined;
          }
          try {
            const identity = verifySignedIdentity(
              signed,
              settings.signingSecret,
              headers.get('x-request-id') ?? requestId,
            );
            return {
              subject: identity.subject,
              role: identity.role,
              workspaces: [identity.workspaceId],
            };
          } catch (error) {
            if (error instanceof IdentityError) throw new AuthenticationError(error.message);
            throw error;
          }
        }
        throw new AuthenticationError('no bearer token (send Authorization: Bearer <token>)');
      }
      const match = /^Bearer\s+([A-Za-z0-9_\-.=]+)$/i.exec(authorization.trim());
      if (!match) throw new AuthenticationError('the Authorization header is not a bearer token');
      const token = match[1];
      const now = Date.now();
      const known = cache.get(token);
      if (known && known.until > now) return known.caller;
      const { caller, exp } = await verifyToken(token);
      if (cache.size >= CACHE_SIZE) cache.clear();
      cache.set(token, {
        caller,
        until: Math.min(now + CACHE_MS, (exp + settings.clockSkewSeconds) * 1000),
      });
      return caller;
    },
  };
}

export interface TokenClaims {
  subject: string;
  roles: Role[];
  workspaces: string[];
  issuer?: string;
  audience?: string;
  /** Lifetime in seconds. */
  expiresInSeconds: number;
}

/** An HS256 token for local use (npm start's development tokens, tests). */
export async function signDevelopmentToken(claims: TokenClaims, secret: string): Promise<string> {
  let jwt = new SignJWT({ roles: claims.roles, workspaces: claims.workspaces })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + claims.expiresInSeconds);
  if (claims.issuer) jwt = jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt = jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
