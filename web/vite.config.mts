import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Two pages built into web/dist (git-ignored) and served by Drawdown itself, so nothing loads from a CDN:
 * the dashboard (index.html, served at / with an SPA fallback) and the GraphiQL explorer (explorer.html,
 * served at GET /graphql outside production). JSX goes through esbuild (React's automatic runtime): the
 * production build needs no Babel plugin.
 */
export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // monaco-editor (GraphiQL's editor) is large by nature; the dashboard's own bundle stays small
    chunkSizeWarningLimit: 4_000,
    reportCompressedSize: false,
    rollupOptions: {
      input: { index: here('./index.html'), explorer: here('./explorer.html') },
      onwarn(warning, warn) {
        // GraphiQL's dependencies mark modules "use client" (a server-components hint): meaningless here
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  worker: { format: 'es' },
});
