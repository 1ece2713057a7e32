// ESLint flat config: strict type-checked rules on the library, the recommended ones elsewhere.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-*/', 'node_modules/', 'coverage/', 'sample/.data/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['lib/**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Origin rules and resolver classes are typed as Function on purpose: both forms are accepted.
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // Resolvers and origin functions are user code: `=== true` refuses a truthy non-boolean on purpose.
      '@typescript-eslint/no-unnecessary-boolean-literal-compare': 'off',
      // `return next()` is the Express middleware idiom.
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    // Plain Node scripts (the consumer-test runner and its app templates).
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        module: 'writable',
        require: 'readonly',
      },
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'sample/**/*.ts'],
    rules: {
      // Fixture controllers and modules are declared for their decorators only.
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  prettier,
);
