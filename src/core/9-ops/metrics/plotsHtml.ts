import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SluiceError } from '../../1-base/errors.js';

/**
 * The plots page: one self-contained HTML file. vega, vega-lite and vega-embed are inlined from
 * the installed packages so the page opens offline.
 */

const LIBRARIES = [
  ['vega', 'build/vega.min.js'],
  ['vega-lite', 'build/vega-lite.min.js'],
  ['vega-embed', 'build/vega-embed.min.js'],
] as const;

function findLibrary(pkg: string, file: string): string {
  // The packages' `exports` hide their build folders from require.resolve: walk up instead.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', pkg, file);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new SluiceError('NOT_FOUND', `cannot find the ${pkg} library (${file})`, {
        hint: 'reinstall Sluice with its dependencies (npm install)',
      });
    }
    dir = parent;
  }
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c,
  );
}

/** Script text safe inside a <script> element. */
function scriptSafe(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export function renderPlotsHtml(
  plots: Array<{ id: string; spec: Record<string, unknown> }>,
  /** Image plots: files beside the page (`src` relative to it). */
  images: Array<{ id: string; src: string }> = [],
  title = 'Sluice plots',
): string {
  const libs = LIBRARIES.map(([pkg, file]) => readFileSync(findLibrary(pkg, file), 'utf8'));
  const divs = [
    ...plots.map(
      (p, i) => `<div class="plot"><div id="plot-${i}" title="${escapeHtml(p.id)}"></div></div>`,
    ),
    ...images.map(
      (image) =>
        `<div class="plot"><p>${escapeHtml(image.id)}</p><img src="${escapeHtml(encodeURI(image.src))}" alt="${escapeHtml(image.id)}"></div>`,
    ),
  ].join('\n');
  const specs = scriptSafe(JSON.stringify(plots.map((p) => p.spec)));
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:1em}.plot{display:inline-block;margin:1em;vertical-align:top}</style>
${libs.map((js) => `<script>${scriptSafe(js)}</script>`).join('\n')}
</head>
<body>
${divs}
<script>
const specs = ${specs};
specs.forEach((spec, i) => vegaEmbed('#plot-' + i, spec, { actions: { export: true, source: false, compiled: false, editor: false } }));
</script>
</body>
</html>
`;
}
