// The house plan, enforced (`npm run lint`; see CONTRIBUTING.md, "Layers"). src/core is layered bottom to top
// by the number in each folder's name; a module may import its own layer or a lower one, never a higher one,
// and never the CLI, the page server or the demo above the core. No cycles anywhere. There is no exceptions
// list: a rule that needs one is a design to fix.

const LAYERS = [
  '1-base',
  '2-fs',
  '3-objects',
  '4-storage',
  '5-workspace',
  '6-repo',
  '7-metafiles',
  '8-revisions',
  '9-ops',
];

/** One rule per layer: nothing in it may import a layer above it. */
const upwardRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer}-imports-up`,
  comment: `src/core/${layer} may import only ${LAYERS.slice(0, i + 1).join(', ')}: move the code down, or pass what it needs in.`,
  severity: 'error',
  from: { path: `^src/core/${layer}/` },
  to: { path: `^src/core/(${LAYERS.slice(i + 1).join('|')})/` },
}));

export default {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A cycle makes two modules one: split the part both need into a lower module.',
      severity: 'error',
      from: { path: '^(src|web/src)/' },
      to: { circular: true },
    },
    ...upwardRules,
    {
      name: 'core-layers-import-the-api',
      comment:
        'src/core/index.ts and sluiceRepo.ts are the public API on top of the layers: layers never import them.',
      severity: 'error',
      from: { path: '^src/core/[1-9]-' },
      to: { path: '^src/core/(index|sluiceRepo)\\.ts$' },
    },
    {
      name: 'core-imports-an-app',
      comment:
        'The core is a library: it never imports the CLI, the page server, the demo or the page.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^(src/(cli|ui-server|demo)|web)/' },
    },
    {
      name: 'page-server-imports-the-cli',
      comment:
        'The page server sits beside the CLI, on the core: the CLI starts it, not the other way round.',
      severity: 'error',
      from: { path: '^src/ui-server/' },
      to: { path: '^src/(cli|demo)/' },
    },
    {
      name: 'page-imports-node-code',
      comment:
        'The page (web/src) runs in the browser: it may share only the JSON types of src/ui-server/types.ts.',
      severity: 'error',
      from: { path: '^web/src/' },
      to: { path: '^src/', pathNot: '^src/ui-server/types\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
