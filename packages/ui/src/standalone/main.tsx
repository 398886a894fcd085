// The standalone page's script: reads the data the HTML embeds (standalone-html.ts) and shows
// the flame graph with a search box and breadcrumb. Built into one IIFE with its CSS inside
// (vite.standalone.config.ts), so the HTML file needs nothing else, not even a network.
import { createRoot } from 'react-dom/client';
import { STANDALONE_DATA_ID, type StandaloneData } from '@kiln/formats';
import { StandalonePage } from './StandalonePage.js';

const embedded = document.getElementById(STANDALONE_DATA_ID);
const root = document.getElementById('root');
if (embedded === null || root === null) {
  throw new Error(`the page has no #${STANDALONE_DATA_ID} data or #root element`);
}
const data = JSON.parse(embedded.textContent ?? '') as StandaloneData;
if (document.documentElement.dataset['theme'] === undefined && matchMedia('(prefers-color-scheme: dark)').matches) {
  document.documentElement.dataset['theme'] = 'dark';
}
createRoot(root).render(<StandalonePage data={data} />);
