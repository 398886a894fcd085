import { defineConfig } from 'vite';
import { kilnBrowserAliases } from './vite.shared.js';

// The app: static files the Kiln server serves at `/` (index.html, hashed assets under /assets).
export default defineConfig({
  root: 'src/app',
  base: '/',
  publicDir: false,
  resolve: { conditions: ['source', 'browser', 'module', 'import', 'default'] },
  plugins: [kilnBrowserAliases()],
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: '../../dist/app',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
  server: { proxy: { '^/(pyroscope|querier|render|label|labels|api|ingest)': 'http://localhost:4040' } },
});
