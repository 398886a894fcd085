/**
 * Exports of what is on screen, built in the browser from the flame graph's call tree: pprof
 * (gzipped, `go tool pprof` reads it), folded stacks, speedscope JSON, Pyroscope's flamebearer
 * JSON, and a standalone HTML page (packages/ui/src/standalone) that works offline.
 */
import { callTreeToProfile, type CallTree, type Flamebearer, type Profile, type ValueType } from '@kiln/model';
import {
  buildStandaloneHtml,
  flamebearerMetadata,
  serializeFolded,
  serializePprof,
  serializeSpeedscope,
} from '@kiln/formats';

export interface ExportSource {
  tree: CallTree;
  flamebearer: Flamebearer;
  /** `process_cpu:cpu:nanoseconds:cpu:nanoseconds`, or for a dropped file its sample type. */
  profileType: string;
  /** The service (or file) name, used in file names and titles. */
  name: string;
  fromMs?: number;
  untilMs?: number;
}

export const EXPORT_FORMATS = ['pprof', 'folded', 'speedscope', 'flamebearer', 'png', 'html'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_LABELS: Record<ExportFormat, string> = {
  pprof: 'pprof (.pb.gz)',
  folded: 'Folded stacks (.txt)',
  speedscope: 'speedscope (.json)',
  flamebearer: 'Flamebearer JSON (.json)',
  png: 'PNG image (.png)',
  html: 'Standalone HTML (.html)',
};

function typeParts(profileType: string): { sample: ValueType; period: ValueType | null } {
  const [, type = 'samples', unit = 'count', periodType = '', periodUnit = ''] = profileType.split(':');
  return { sample: { type, unit }, period: periodType === '' ? null : { type: periodType, unit: periodUnit } };
}

export function profileOf(src: ExportSource): Profile {
  const { sample, period } = typeParts(src.profileType);
  return callTreeToProfile(src.tree, {
    sampleType: sample,
    periodType: period,
    ...(src.fromMs !== undefined ? { timeNs: src.fromMs * 1e6 } : {}),
    ...(src.fromMs !== undefined && src.untilMs !== undefined ? { durationNs: (src.untilMs - src.fromMs) * 1e6 } : {}),
  });
}

/** The file name for an export: `go-demo.process_cpu.2026-11-25T10-00-00.pb.gz`. */
export function fileNameFor(src: ExportSource, ext: string): string {
  const metric = src.profileType.split(':')[0] || 'profile';
  const when = src.fromMs !== undefined ? `.${new Date(src.fromMs).toISOString().slice(0, 19).replace(/:/g, '-')}` : '';
  const base = `${src.name}.${metric}${when}`.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${base}.${ext}`;
}

export function exportPprof(src: ExportSource): Blob {
  return new Blob([serializePprof(profileOf(src)) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
}

export function exportFolded(src: ExportSource): Blob {
  return new Blob([serializeFolded(profileOf(src))], { type: 'text/plain' });
}

export function exportSpeedscope(src: ExportSource): Blob {
  return new Blob([serializeSpeedscope(profileOf(src), { name: src.name })], { type: 'application/json' });
}

export function exportFlamebearer(src: ExportSource): Blob {
  const { sample } = typeParts(src.profileType);
  const doc = {
    version: 1,
    flamebearer: src.flamebearer,
    metadata: { ...flamebearerMetadata(sample), name: src.name },
    timeline: null,
  };
  return new Blob([JSON.stringify(doc)], { type: 'application/json' });
}

/** The standalone page: the flame graph's script (served at /standalone/) with the data inlined. */
export async function exportHtml(src: ExportSource): Promise<Blob> {
  const res = await fetch('/standalone/kiln-standalone.js');
  if (!res.ok) throw new Error(`the standalone flame graph script is missing (${res.status}); build the UI`);
  const script = await res.text();
  const { sample } = typeParts(src.profileType);
  const html = buildStandaloneHtml(script, {
    flamebearer: src.flamebearer,
    metadata: {
      name: src.name,
      unit: sample.unit,
      profileType: src.profileType,
      from: src.fromMs ?? null,
      until: src.untilMs ?? null,
    },
  });
  return new Blob([html], { type: 'text/html' });
}

/** Saves a blob through the browser's download. */
export function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
