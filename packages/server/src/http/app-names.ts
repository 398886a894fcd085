import { KilnError } from '@kiln/model';
import type { Matcher } from '../storage/profile-store.js';
import type { QueryService, Selection } from '../query/query-service.js';
import { parseQuery, profileTypeParts } from '../query/selector.js';

/**
 * Pyroscope v0.x named a profile by its app name with a suffix (`api.cpu`, `api.inuse_space`).
 * These map between that naming and profile type ids, for the v0.x routes and Grafana's old
 * Pyroscope plugin.
 */

/** Suffix -> the profile type name and sample type it stands for (Pyroscope's convertMetadata table). */
const SUFFIXES: Readonly<Record<string, { name: string; sampleType?: string }>> = {
  cpu: { name: 'process_cpu' },
  itimer: { name: 'process_cpu' },
  wall: { name: 'wall', sampleType: 'wall' },
  inuse_objects: { name: 'memory', sampleType: 'inuse_objects' },
  inuse_space: { name: 'memory', sampleType: 'inuse_space' },
  alloc_objects: { name: 'memory', sampleType: 'alloc_objects' },
  alloc_space: { name: 'memory', sampleType: 'alloc_space' },
  goroutines: { name: 'goroutine' },
  mutex_count: { name: 'mutex', sampleType: 'contentions' },
  mutex_duration: { name: 'mutex', sampleType: 'delay' },
  block_count: { name: 'block', sampleType: 'contentions' },
  block_duration: { name: 'block', sampleType: 'delay' },
};

/** The v0.x suffix of a profile type id (`memory:inuse_space:bytes:space:bytes` -> `inuse_space`). */
export function suffixOf(profileType: string): string {
  const { name, sampleType } = profileTypeParts(profileType);
  switch (name) {
    case 'process_cpu':
      return 'cpu';
    case 'memory':
      return sampleType;
    case 'goroutine':
    case 'goroutines':
      return 'goroutines';
    case 'mutex':
    case 'block':
      return `${name}_${sampleType === 'delay' ? 'duration' : 'count'}`;
    default:
      return sampleType === 'samples' ? name : sampleType === name ? name : `${name}_${sampleType}`;
  }
}

/** `api.cpu` for a selection on service_name="api" and a CPU profile type. */
export function appNameOf(sel: Selection): string {
  const service = sel.matchers.find((m) => m.name === 'service_name' && m.op === '=')?.value ?? '';
  return `${service}.${suffixOf(sel.profileType)}`;
}

/**
 * Resolves `app.suffix{k="v"}` to a selection: service_name=app plus the matchers, and the
 * profile type with data for that service that best fits the suffix (exact sample type first).
 */
export async function selectionForAppName(
  query: QueryService,
  tenant: string,
  appQuery: string,
  startMs: number,
  endMs: number,
): Promise<Selection> {
  const brace = appQuery.indexOf('{');
  const head = (brace < 0 ? appQuery : appQuery.slice(0, brace)).trim();
  const matchers: Matcher[] = brace < 0 ? [] : parseQuery(appQuery.slice(brace)).matchers;
  const dot = head.lastIndexOf('.');
  const known = dot > 0 && SUFFIXES[head.slice(dot + 1)] !== undefined;
  const app = known ? head.slice(0, dot) : head;
  const suffix = known ? head.slice(dot + 1) : 'cpu';
  if (app === '')
    throw new KilnError('ERR_QUERY_INVALID_SELECTOR', `\`${appQuery.slice(0, 200)}\` names no application`);
  const all = [{ name: 'service_name', op: '=' as const, value: app }, ...matchers];
  const types = await query.profileTypes(tenant, startMs, endMs);
  const want = SUFFIXES[suffix]!;
  const ofService = new Set(
    (await query.seriesLabels(tenant, all, ['__profile_type__'], startMs, endMs)).map((l) => l['__profile_type__']!),
  );
  const candidates = types.filter((t) => ofService.has(t));
  const exact = candidates.filter((t) => suffixOf(t) === suffix);
  const byName = candidates.filter((t) => profileTypeParts(t).name === want.name);
  const cpuFromWall = suffix === 'cpu' ? candidates.filter((t) => profileTypeParts(t).sampleType === 'cpu') : [];
  const profileType =
    exact[0] ?? cpuFromWall[0] ?? byName[0] ?? `${want.name}:${want.sampleType ?? 'cpu'}:nanoseconds:cpu:nanoseconds`;
  return { tenant, profileType, matchers: all, startMs, endMs };
}

export interface AppInfo {
  name: string;
  spyName?: string;
  sampleRate?: number;
  units?: string;
}

/** Every `app.suffix` with data, with the metadata a v0.x UI lists (`/api/apps`). */
export async function listApps(
  query: QueryService,
  tenant: string,
  matchers: readonly Matcher[],
  startMs: number,
  endMs: number,
): Promise<AppInfo[]> {
  const sets = await query.seriesLabels(
    tenant,
    matchers,
    ['service_name', '__profile_type__', 'pyroscope_spy'],
    startMs,
    endMs,
  );
  const apps = new Map<string, AppInfo>();
  for (const labels of sets) {
    const type = labels['__profile_type__'];
    const service = labels['service_name'];
    if (!type || !service) continue;
    const name = `${service}.${suffixOf(type)}`;
    if (apps.has(name)) continue;
    const { sampleType, sampleUnit } = profileTypeParts(type);
    const objects = ['inuse_objects', 'alloc_objects', 'goroutine', 'goroutines', 'samples'].includes(sampleType);
    const info: AppInfo = { name, units: objects ? 'objects' : sampleType === 'cpu' ? 'samples' : sampleUnit };
    if (labels['pyroscope_spy']) info.spyName = labels['pyroscope_spy'];
    info.sampleRate = sampleType === 'cpu' ? 1e9 : 100;
    apps.set(name, info);
  }
  return [...apps.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
