import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// The page ships built in dist/web/app: `sluice ui` serves it, `sluice dag --html` inlines it.
// One JS file and one CSS file, relative URLs, no CDN: it must work offline and from file://.
export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web/app', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 100_000_000,
    chunkSizeWarningLimit: 4000,
    modulePreload: false,
    reportCompressedSize: false,
  },
  worker: { format: 'es' },
});
