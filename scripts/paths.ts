import path from 'node:path';

/** The repository root: scripts run from dist/scripts after the build. */
export const repoRoot = path.resolve(__dirname, '..', '..');
