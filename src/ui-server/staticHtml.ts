import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../core/1-base/errors.js';
import { findAppDir } from './server.js';
import type { StaticData } from './types.js';

/** Text safe inside an inline <script>: no `</script`, no `<!--`. */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/**
 * The pipeline page as one file: the built JS and CSS inlined and the graph JSON embedded, so it
 * opens from disk or a CI artifact with no server and no network.
 */
export function renderStaticHtml(data: StaticData): string {
  const appDir = findAppDir();
  if (appDir === undefined) {
    throw new SluiceError('FAILED', 'the pipeline page is not built', {
      hint: 'run `npm run build` in the Sluice checkout',
    });
  }
  let html = readFileSync(join(appDir, 'index.html'), 'utf8');
  html = html.replace(
    /<link rel="stylesheet"[^>]*href="\.?\/?([^"]+)"[^>]*>/g,
    (_m, href: string) => {
      const css = readFileSync(join(appDir, href), 'utf8');
      return `<style>${css.replace(/<\/(style)/gi, '<\\/$1')}</style>`;
    },
  );
  const scripts: string[] = [];
  html = html.replace(
    /<script type="module"[^>]*src="\.?\/?([^"]+)"[^>]*><\/script>/g,
    (_m, src: string) => {
      scripts.push(readFileSync(join(appDir, src), 'utf8'));
      return '';
    },
  );
  html = html.replace(/<link rel="modulepreload"[^>]*>/g, '');
  const json = scriptSafe(JSON.stringify(data));
  const inline =
    `<script>window.__SLUICE_DATA__ = ${json};</script>\n` +
    scripts.map((js) => `<script type="module">${scriptSafe(js)}</script>`).join('\n');
  return html.replace('</body>', () => `${inline}\n</body>`);
}
