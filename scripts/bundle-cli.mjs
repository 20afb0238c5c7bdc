// `npm run build` step: bundles the CLI that `bin/sluice` runs into dist/cli/sluice.mjs (plus lazily loaded chunks
// beside it). Node 20 has no compile cache, so resolving and reading ~150 modules was most of a
// no-op command's time; one bundle loads in a fraction of it. The tsc output in dist/ stays the
// library (`exports`). The cloud SDKs stay external: each is loaded only when its remote is used.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'rolldown';

const loadedFromNodeModules = [
  /^@aws-sdk\//,
  /^@smithy\//,
  /^@azure\//,
  /^@google-cloud\//,
  /^ssh2/,
  /^webdav/,
  /^vega/,
];

// Chunk names carry content hashes: drop the previous build's so they do not pile up.
const outDir = 'dist/cli';
if (existsSync(outDir)) {
  for (const name of readdirSync(outDir)) {
    if (/^sluice(-.+)?\.mjs$/.test(name)) rmSync(join(outDir, name));
  }
}

await build({
  input: {
    sluice: 'dist/cli/entry.js',
    // Started by src/core/3-objects/workerPool.ts as a worker thread, found beside the chunks.
    'sluice-hash-worker': 'dist/core/3-objects/hashWorker.js',
    // Started by src/core/5-workspace/folderStamp.ts as a helper thread, found the same way.
    'sluice-stamp-worker': 'dist/core/5-workspace/stampWorker.js',
  },
  platform: 'node',
  // demo.ts imports the program lazily only to avoid an import cycle; it is in the entry anyway.
  checks: { ineffectiveDynamicImport: false },
  external: (id) =>
    id.startsWith('node:') ||
    builtinModules.includes(id) ||
    loadedFromNodeModules.some((pattern) => pattern.test(id)),
  output: {
    // Chunks sit beside the entry: code that finds files from import.meta.url (the page's
    // assets, the demo's examples) sees the same folder depth as the tsc output.
    dir: outDir,
    format: 'esm',
    entryFileNames: '[name].mjs',
    chunkFileNames: 'sluice-[name]-[hash].mjs',
    codeSplitting: {
      groups: [
        // What the folder-stamp helper thread loads: kept small, it starts in tens of ms.
        {
          name: 'walk',
          test: /dist[\\/](core[\\/](5-workspace[\\/](walk|folderStamp|folderListing|dvcIgnore|hashCache)|2-fs[\\/](fileFacts|atomicWrite|tempFiles)|1-base[\\/]errors)|cli[\\/]answer-memo[\\/]earlyStamps)\.js$|node_modules[\\/]ignore[\\/]/,
        },
        // What the entry loads to answer a read-only command from its remembered answer (see
        // rememberedAnswer.ts), before and instead of the CLI: kept apart from the core's chunk,
        // and from the walk code, which it needs only for large folders. readObserver.ts (no
        // imports) is here because repoPaths.ts takes an observer.
        {
          name: 'answers',
          priority: 1,
          test: /dist[\\/](cli[\\/]answer-memo[\\/](rememberedAnswer|envWitness)|core[\\/]2-fs[\\/](repoPaths|readObserver)|cli[\\/]exitFlushed)\.js$/,
        },
        // The core every data or pipeline command uses, in one chunk: Node 20 has no compile
        // cache, and a no-op `status` spent more time fetching ~30 chunks one import level
        // after another than reading one file. The web page, plots and the backends'
        // implementations (each loaded with its SDK, only when used; a backend's `index.js`
        // declaration, its `capabilities.js` and the local folder's implementation are core)
        // stay apart, and so do the worker scripts:
        // code of theirs in a shared chunk would install its message handler in every thread.
        {
          name: 'core',
          test: /dist[\\/](core[\\/](?!9-ops[\\/]metrics[\\/]plotsHtml|2-fs[\\/](repoPaths|readObserver)|3-objects[\\/]hashWorker|5-workspace[\\/]stampWorker|4-storage[\\/]backends[\\/](?!local[\\/])[^\\/]+[\\/](?!(index|capabilities)\.js$))|cli[\\/](context|progress|ui|answer-memo[\\/]answerRecorder|commands[\\/](status|repro|reproRunner|cloudStatusCli|transferFlags)))|node_modules[\\/](yaml|js-yaml|smol-toml|p-limit|yocto-queue)[\\/]/,
        },
      ],
    },
  },
});
