// Vite's module types: `import css from './flame-graph.css?inline'` is the stylesheet as a string.
/// <reference types="vite/client" />
