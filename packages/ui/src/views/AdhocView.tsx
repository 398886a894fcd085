import { useCallback, useMemo, useState } from 'react';
import { buildCallTree, encodeFlamebearer, type Profile } from '@kiln/model';
import { parseProfile, type InputFormat } from '@kiln/formats';
import { ProfileViewer, type ViewerState } from '../components/ProfileViewer.js';
import { ErrorBox } from '../components/States.js';

/** The largest file the page reads (the browser holds it and its parse in memory). */
export const MAX_ADHOC_FILE_BYTES = 512 * 1024 * 1024;

interface Loaded {
  fileName: string;
  format: InputFormat;
  profile: Profile;
}

/**
 * Ad-hoc: a pprof, folded, perf script, speedscope or flamebearer file dropped on the page (or
 * picked) is parsed in the browser by @kiln/formats and shown; nothing is sent to the server.
 */
export function AdhocView(): React.JSX.Element {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [dragging, setDragging] = useState(false);
  const [sampleType, setSampleType] = useState(0);
  const [state, setState] = useState<ViewerState>({ mode: 'both', search: '', focus: null, fn: '' });

  const open = useCallback(async (file: File) => {
    setError(null);
    try {
      if (file.size > MAX_ADHOC_FILE_BYTES) {
        throw Object.assign(
          new Error(`${file.name} is ${file.size} bytes; the page reads files up to ${MAX_ADHOC_FILE_BYTES}`),
          {
            code: 'ERR_FORMAT_TOO_LARGE',
          },
        );
      }
      const bytes = new Uint8Array(await file.arrayBuffer());
      const { format, profile } = parseProfile(bytes, { filename: file.name });
      setLoaded({ fileName: file.name, format, profile });
      setSampleType(profile.defaultSampleType);
      setState({ mode: 'both', search: '', focus: null, fn: '' });
    } catch (err) {
      setLoaded(null);
      setError(err instanceof Error ? err : new Error(String(err)));
    }
  }, []);

  const view = useMemo(() => {
    if (!loaded) return null;
    const p = loaded.profile;
    const type = p.sampleTypes[sampleType] ?? p.sampleTypes[0]!;
    const tree = buildCallTree(p, { sampleType });
    const period = p.periodType;
    return {
      flamebearer: encodeFlamebearer(tree),
      unit: type.unit,
      profileType: `adhoc:${type.type}:${type.unit}:${period?.type ?? ''}:${period?.unit ?? ''}`,
    };
  }, [loaded, sampleType]);

  return (
    <div
      className={`view adhoc-view ${dragging ? 'dragging' : ''}`}
      data-testid="adhoc-view"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        const file = e.dataTransfer.files[0];
        if (file) void open(file);
      }}
    >
      <div className="drop-zone" data-testid="drop-zone">
        <p>
          Drop a profile here — pprof (<code>.pb.gz</code>), folded stacks, <code>perf script</code> output, speedscope
          or flamebearer JSON — or{' '}
          <label className="file-pick">
            choose a file
            <input
              type="file"
              data-testid="file-input"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void open(file);
              }}
            />
          </label>
          . It is read in this browser and not stored.
        </p>
        {loaded && (
          <p className="muted" data-testid="adhoc-info">
            <strong>{loaded.fileName}</strong> · {loaded.format} · {loaded.profile.samples.length.toLocaleString()}{' '}
            samples
            {loaded.profile.sampleTypes.length > 1 && (
              <>
                {' '}
                ·{' '}
                <select
                  aria-label="Sample type"
                  data-testid="sample-type"
                  value={sampleType}
                  onChange={(e) => setSampleType(Number(e.target.value))}
                >
                  {loaded.profile.sampleTypes.map((t, i) => (
                    <option key={`${t.type}:${t.unit}`} value={i}>
                      {t.type} ({t.unit})
                    </option>
                  ))}
                </select>
              </>
            )}
          </p>
        )}
      </div>
      {error && <ErrorBox error={error} title="Could not read the file" />}
      {loaded && view && (
        <ProfileViewer
          flamebearer={view.flamebearer}
          unit={view.unit}
          profileType={view.profileType}
          name={loaded.fileName.replace(/\.[^.]*$/, '') || 'adhoc'}
          state={state}
          onState={(patch) => setState((s) => ({ ...s, ...patch }))}
        />
      )}
    </div>
  );
}
