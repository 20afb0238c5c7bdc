import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * Functions of node:fs that change files. In src/, only the modules listed in
 * `FS_WRITERS_ALLOWED` may import them: every change to the workspace goes through
 * src/core/5-workspace/guardedWorkspace.ts (see CONTRIBUTING.md, "The guarded path").
 */
const FS_MUTATORS = [
  'appendFile',
  'appendFileSync',
  'chmod',
  'chmodSync',
  'copyFile',
  'copyFileSync',
  'cp',
  'cpSync',
  'createWriteStream',
  'link',
  'linkSync',
  'mkdir',
  'mkdirSync',
  'open',
  'openSync',
  'rename',
  'renameSync',
  'rm',
  'rmSync',
  'rmdir',
  'rmdirSync',
  'symlink',
  'symlinkSync',
  'truncate',
  'truncateSync',
  'unlink',
  'unlinkSync',
  'writeFile',
  'writeFileSync',
];

/** The modules that may change files themselves, each because it never writes the workspace. */
const FS_WRITERS_ALLOWED = [
  // The guarded path itself, and the atomic write it is built on.
  'src/core/5-workspace/guardedWorkspace.ts',
  'src/core/2-fs/atomicWrite.ts',
  // Removes only Sluice's own temporary files whose owner is gone (exact name pattern, regular
  // files, realpath inside the repository or cache), and keeps the records of where they are.
  'src/core/2-fs/tempFiles.ts',
  // The cache: objects, links placed at paths the guarded path resolved, and Sluice's own state
  // in .dvc/tmp.
  'src/core/3-objects/objectStore.ts',
  'src/core/3-objects/link.ts',
  'src/core/3-objects/linkRecord.ts',
  'src/core/2-fs/parseCache.ts',
  'src/core/5-workspace/hashCache.ts',
  'src/core/3-objects/hashFile.ts',
  'src/core/9-ops/pipeline/runCache.ts',
  'src/core/9-ops/pipeline/reproState.ts',
  'src/core/9-ops/pipeline/outputsInProgress.ts',
  'src/core/5-workspace/folderListing.ts',
  'src/core/6-repo/repo.ts',
  'src/core/6-repo/repoLock.ts',
  'src/core/9-ops/tempSweep.ts',
  // The answer memo's own records in .dvc/tmp.
  'src/cli/answer-memo/answerRecorder.ts',
  'src/cli/answer-memo/rememberedAnswer.ts',
  'src/core/6-repo/config/config.ts',
  'src/core/9-ops/data/init.ts',
  'src/core/9-ops/data/gc.ts',
  // Repairs cache objects and removes the cache's dead temporary files; reads the workspace only.
  'src/core/9-ops/data/fsck.ts',
  // Downloads into the cache and .dvc/tmp, temporary clones, and remotes.
  'src/core/9-ops/imports/importUrl.ts',
  'src/core/9-ops/remote/pull.ts',
  'src/core/9-ops/imports/externalRepo.ts',
  'src/core/4-storage/**/*.ts',
  'src/core/9-ops/remote/download.ts',
  'src/core/9-ops/remote/runCacheSync.ts',
  // `sluice get`, `plots --out`, `ui --export` and the demo write where the user names, not into
  // a repository's workspace.
  'src/core/9-ops/imports/importRepo.ts',
  'src/cli/commands/plots.ts',
  'src/ui-server/export.ts',
  'src/demo/*.ts',
];

const fsRestriction = (name) => ({
  name,
  importNames: FS_MUTATORS,
  message:
    'Change workspace files through repo.workspace (src/core/5-workspace/guardedWorkspace.ts); see CONTRIBUTING.md.',
});

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      'web/dist/',
      '.tools/',
      'test-artifacts/',
      'sluice-demo*/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: FS_WRITERS_ALLOWED,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['node:fs', 'node:fs/promises', 'fs', 'fs/promises'].map(fsRestriction),
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportNamespaceSpecifier[parent.source.value=/^(node:)?fs(\\/promises)?$/]',
          message:
            'Import the reading functions of node:fs by name; changes go through repo.workspace.',
        },
        {
          selector: 'ImportDefaultSpecifier[parent.source.value=/^(node:)?fs(\\/promises)?$/]',
          message:
            'Import the reading functions of node:fs by name; changes go through repo.workspace.',
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
