import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'coverage/**',
      '.data/**',
      '.run/**',
      'libs/platform/src/gen/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Configuration is parsed once per package, in its config module.
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read process.env only in config.ts.' },
      ],
    },
  },
  {
    // The modules allowed to read the environment: each package's config module,
    // scripts and tests (which set up child processes' environments).
    files: ['**/src/config.ts', 'scripts/**', 'test/**', '**/test/**', '**/bench/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
