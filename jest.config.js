// One jest configuration for every package. Types are checked by `tsc --build`,
// so ts-jest only transpiles (isolatedModules in tsconfig.base.json) and the suite starts fast.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.base.json' }];
const moduleNameMapper = {
  '^@mmm/core$': '<rootDir>/libs/mmm-core/src',
  '^@mmm/platform$': '<rootDir>/libs/platform/src',
  '^@mmm/report$': '<rootDir>/libs/report/src',
  '^@mmm/gateway$': '<rootDir>/gateway/src',
  '^@mmm/platform/testkit$': '<rootDir>/libs/platform/src/testkit',
};
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/gateway'],
      testMatch: ['**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
    },
  ],
};
