import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The standalone flame graph page's script: one IIFE with React and the CSS inside (the
// components import their CSS as strings), at dist/standalone/kiln-standalone.js. The app's
// HTML export fetches it from /standalone/; `kiln adhoc` reads it from disk.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  publicDir: false,
  resolve: { conditions: ['source', 'browser', 'module', 'import', 'default'] },
  oxc: { jsx: { runtime: 'automatic' } },
  // Library builds leave process.env alone; React picks its production build from it.
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: fileURLToPath(new URL('dist/standalone', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    cssCodeSplit: false,
    lib: {
      entry: fileURLToPath(new URL('src/standalone/main.tsx', import.meta.url)),
      formats: ['iife'],
      name: 'KilnStandalone',
      fileName: () => 'kiln-standalone.js',
    },
  },
});
