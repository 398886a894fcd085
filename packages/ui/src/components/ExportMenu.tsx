import { useState } from 'react';
import {
  EXPORT_FORMATS,
  EXPORT_LABELS,
  download,
  exportFlamebearer,
  exportFolded,
  exportHtml,
  exportPprof,
  exportSpeedscope,
  fileNameFor,
  type ExportFormat,
  type ExportSource,
} from '../export/exports.js';

const EXTENSIONS: Record<ExportFormat, string> = {
  pprof: 'pb.gz',
  folded: 'folded.txt',
  speedscope: 'speedscope.json',
  flamebearer: 'flamebearer.json',
  png: 'png',
  html: 'html',
};

export interface ExportMenuProps {
  source: () => ExportSource | null;
  /** The flame graph on screen as a PNG. */
  png: () => Promise<Blob>;
}

/** Export of what is on screen, in each format Kiln reads back. */
export function ExportMenu({ source, png }: ExportMenuProps): React.JSX.Element {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (format: ExportFormat): Promise<void> => {
    setOpen(false);
    setError(null);
    const src = source();
    if (!src) return;
    try {
      const blob =
        format === 'pprof'
          ? exportPprof(src)
          : format === 'folded'
            ? exportFolded(src)
            : format === 'speedscope'
              ? exportSpeedscope(src)
              : format === 'flamebearer'
                ? exportFlamebearer(src)
                : format === 'png'
                  ? await png()
                  : await exportHtml(src);
      download(blob, fileNameFor(src, EXTENSIONS[format]));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <div className="export-menu">
      <button type="button" onClick={() => setOpen((o) => !o)} aria-expanded={open} data-testid="export-button">
        Export ▾
      </button>
      {open && (
        <ul className="menu" role="menu">
          {EXPORT_FORMATS.map((f) => (
            <li key={f} role="none">
              <button type="button" role="menuitem" data-testid={`export-${f}`} onClick={() => void run(f)}>
                {EXPORT_LABELS[f]}
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <span className="inline-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
