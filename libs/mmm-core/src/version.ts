/**
 * The engine's name and version, recorded in every model it fits. Kept equal to the version in
 * libs/mmm-core/package.json (a test checks), as the core reads no files.
 */
export const ENGINE = { name: '@mmm/core', version: '0.1.0' } as const;
