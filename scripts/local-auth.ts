// The local platform's credentials (npm start, npm run load): secrets kept in the data folder and
// development tokens signed with them.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { signDevelopmentToken } from '@mmm/gateway';
import { ROLES } from '@mmm/platform';

/** The local platform's secrets, made once per data folder and readable only by its owner. */
export interface LocalSecrets {
  /** Signs the development tokens; the gateway verifies them with it (HS256). */
  jwtSecret: string;
  /** Signs the identity the gateway sends the subgraphs. */
  signingSecret: string;
}

export function localSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  const secrets = {
    jwtSecret: randomBytes(32).toString('hex'),
    signingSecret: randomBytes(32).toString('hex'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  return secrets;
}

export const LOCAL_ISSUER = 'mmm-local';
export const LOCAL_AUDIENCE = 'mmm-platform';
export const TOKEN_DAYS = 30;

/** One development token per role, for the default workspace. */
export async function developmentTokens(
  secret: string,
): Promise<Record<(typeof ROLES)[number], string>> {
  const tokens = {} as Record<(typeof ROLES)[number], string>;
  for (const role of ROLES) {
    tokens[role] = await signDevelopmentToken(
      {
        subject: `local-${role}`,
        roles: [role],
        workspaces: ['default'],
        issuer: LOCAL_ISSUER,
        audience: LOCAL_AUDIENCE,
        expiresInSeconds: TOKEN_DAYS * 86_400,
      },
      secret,
    );
  }
  return tokens;
}
