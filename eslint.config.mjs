import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'models/**', '.cache/**', 'webview-ui/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error'
    }
  },
  {
    // The mesh node is a plain Node library: the VS Code API belongs in src/extension only.
    files: ['src/node/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/node must not depend on VS Code; put glue in src/extension.' }] }] }
  },
  {
    // The economy and content find each other only through components the node wires in (adapter names,
    // install payments), so neither folder imports the other.
    files: ['src/node/economy/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/node must not depend on VS Code; put glue in src/extension.' }],
        patterns: [{ group: ['../content', '../content/*'], message: 'The economy does not import content: take what it needs as an injected component (see economy/context.ts).' }]
      }]
    }
  },
  {
    // Content neither pays nor serves HTTP itself: payments are injected (content/payments.ts) and its
    // routes live in src/node/api/routes/content.ts, so content imports neither the economy nor the API.
    files: ['src/node/content/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/node must not depend on VS Code; put glue in src/extension.' }],
        patterns: [
          { group: ['../economy', '../economy/*', '../ledger', '../ledger/*'], message: 'Content declares what it needs from the economy (content/payments.ts); the node wires it in src/node/features.ts.' },
          { group: ['../api', '../api/*'], message: 'Content routes live in src/node/api/routes/content.ts, over node.content.' }
        ]
      }]
    }
  },
  {
    // src/node/index.ts is the node's one public surface: the extension and the CLI import nothing deeper.
    files: ['src/extension/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/node/*', '!**/node/index'], message: 'Import the node through its public surface (src/node/index.ts), e.g. from \'../node\'.' }] }]
    }
  },
  {
    files: ['src/node/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/node must not depend on VS Code; put glue in src/extension.' }],
        patterns: [{ group: ['../*', '!../index', '!../polyfills'], message: 'The CLI imports the node through its public surface: from \'..\'.' }]
      }]
    }
  },
  {
    // The browser page bundles what it imports: the node's public types only (`import type`, erased), and
    // values only from the node's dependency-free view module.
    files: ['webview-ui/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [{ name: '../../src/node', allowTypeImports: true, message: 'The page may import only types from the node (import type); values come from src/node/search/view.' }],
        patterns: [{ regex: '/src/(?!node$|node/search/view$)', message: 'The page imports the node only through src/node (types) and src/node/search/view (values).' }]
      }]
    }
  },
  {
    files: ['scripts/**/*.mjs', 'bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', __dirname: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  }
)
