import {
  callTreeToProfile,
  diffCallTrees,
  encodeDiffFlamebearer,
  encodeFlamebearer,
  type CallTree,
  type DiffFlamebearer,
  type Flamebearer,
  type Profile,
  trimCallTree,
} from '@kiln/model';
import type { Labels, Matcher, ProfileStore, TimeSeries } from '../storage/profile-store.js';
import { QUERY_LIMITS, queryError } from './errors.js';
import { parseLabelSelector, parseQuery, profileTypeParts } from './selector.js';

/** One flame graph or series query: a profile type, matchers and a range in Unix ms. */
export interface Selection {
  tenant: string;
  profileType: string;
  matchers: readonly Matcher[];
  startMs: number;
  endMs: number;
}

export interface QueryLimits {
  maxFlameGraphNodes: number;
  defaultFlameGraphNodes: number;
  maxSeriesPoints: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxFlameGraphNodes: QUERY_LIMITS.maxFlameGraphNodes.default,
  defaultFlameGraphNodes: QUERY_LIMITS.defaultFlameGraphNodes.default,
  maxSeriesPoints: QUERY_LIMITS.maxSeriesPoints.default,
};

/** A series timeline as Pyroscope's render API returns it: dense, zero where there is no data. */
export interface Timeline {
  /** Unix seconds of the first step. */
  startTime: number;
  samples: number[];
  /** Step in seconds. */
  durationDelta: number;
  watermarks: null;
}

/**
 * The query side of Kiln: select -> merge -> flame graph | pprof | series | diff, over any
 * ProfileStore. Knows nothing of HTTP; the routes in http/ translate requests into these calls.
 */
export class QueryService {
  constructor(
    private readonly store: ProfileStore,
    private readonly limits: QueryLimits = DEFAULT_QUERY_LIMITS,
  ) {}

  /** Builds a Selection from `profile_type{matchers}` (or a separate type and `{matchers}`). */
  selection(tenant: string, query: string, startMs: number, endMs: number, labelSelector?: string): Selection {
    const parsed = parseQuery(query);
    const matchers = [...parsed.matchers, ...(labelSelector ? parseLabelSelector(labelSelector) : [])];
    if (parsed.profileType === '') {
      throw queryError('ERR_QUERY_MISSING_PROFILE_TYPE', `the query \`${clip(query)}\` names no profile type`);
    }
    checkRange(startMs, endMs);
    return { tenant, profileType: parsed.profileType, matchers, startMs, endMs };
  }

  /** `max_nodes` as Pyroscope reads it: 0 or absent means the default; negative or huge is an error. */
  maxNodes(requested: number | undefined): number {
    if (requested === undefined || requested === 0 || Number.isNaN(requested)) {
      return this.limits.defaultFlameGraphNodes;
    }
    if (!Number.isInteger(requested) || requested < 0 || requested > this.limits.maxFlameGraphNodes) {
      throw queryError(
        'ERR_QUERY_INVALID_MAX_NODES',
        `max_nodes ${requested} is outside 1..${this.limits.maxFlameGraphNodes} (maxFlameGraphNodes)`,
      );
    }
    return requested;
  }

  async mergeTree(sel: Selection): Promise<CallTree> {
    return this.store.selectMergeTree(sel);
  }

  async flameGraph(sel: Selection, maxNodes?: number): Promise<Flamebearer> {
    const nodes = this.maxNodes(maxNodes);
    return encodeFlamebearer(await this.mergeTree(sel), { maxNodes: nodes });
  }

  /** The merged profile as pprof-ready Profile, its sample and period types from the profile type id. */
  async mergedProfile(sel: Selection, maxNodes?: number): Promise<Profile> {
    const tree = await this.mergeTree(sel);
    const parts = profileTypeParts(sel.profileType);
    const nodes = maxNodes === undefined || maxNodes === 0 ? 0 : this.maxNodes(maxNodes);
    const trimmed = nodes > 0 && tree.size > nodes ? trimCallTree(tree, nodes) : tree;
    return callTreeToProfile(trimmed, {
      sampleType: { type: parts.sampleType, unit: parts.sampleUnit },
      periodType: parts.periodType ? { type: parts.periodType, unit: parts.periodUnit } : null,
      timeNs: sel.startMs * 1e6,
      durationNs: (sel.endMs - sel.startMs) * 1e6,
    });
  }

  async diff(left: Selection, right: Selection, maxNodes?: number): Promise<DiffFlamebearer> {
    if (left.profileType !== right.profileType) {
      throw queryError(
        'ERR_QUERY_PROFILE_TYPE_MISMATCH',
        `left is ${left.profileType} but right is ${right.profileType}; a diff compares one profile type`,
      );
    }
    const nodes = this.maxNodes(maxNodes);
    const [l, r] = await Promise.all([this.mergeTree(left), this.mergeTree(right)]);
    return encodeDiffFlamebearer(diffCallTrees(l, r), { maxNodes: nodes });
  }

  async series(
    sel: Selection,
    stepMs: number,
    groupBy: readonly string[] = [],
    aggregation: 'sum' | 'avg' = 'sum',
  ): Promise<TimeSeries[]> {
    if (!(stepMs > 0) || !Number.isFinite(stepMs)) {
      throw queryError('ERR_QUERY_INVALID_STEP', `step ${stepMs / 1000} s is not a positive number of seconds`);
    }
    const points = (sel.endMs - sel.startMs) / stepMs;
    if (points > this.limits.maxSeriesPoints) {
      throw queryError(
        'ERR_QUERY_INVALID_STEP',
        `the range holds ${Math.ceil(points)} steps of ${stepMs / 1000} s, more than maxSeriesPoints (${this.limits.maxSeriesPoints})`,
      );
    }
    return this.store.selectSeries({ ...sel, stepMs, groupBy, aggregation });
  }

  /**
   * The render API's timeline: the step Pyroscope picks for the range (range / 1500, rounded to
   * a round interval, at least 15 s), start snapped down to the step, zero-filled.
   */
  async timeline(
    sel: Selection,
    groupBy?: string,
  ): Promise<{ timeline: Timeline; groups: Record<string, Timeline> | null }> {
    const stepMs = timelineStepMs(sel.startMs, sel.endMs);
    const start = Math.floor(sel.startMs / stepMs) * stepMs;
    const end = Math.ceil(sel.endMs / stepMs) * stepMs;
    const dense = (series: TimeSeries[]): Timeline => {
      const samples = new Array<number>(Math.max(0, Math.round((end - start) / stepMs))).fill(0);
      for (const s of series) {
        for (const [t, v] of s.points) {
          const i = Math.round((t - start) / stepMs);
          if (i >= 0 && i < samples.length) samples[i] = samples[i]! + v;
        }
      }
      return { startTime: start / 1000, samples, durationDelta: stepMs / 1000, watermarks: null };
    };
    const all = await this.store.selectSeries({ ...sel, stepMs, groupBy: groupBy ? [groupBy] : [] });
    if (!groupBy) return { timeline: dense(all), groups: null };
    const groups: Record<string, Timeline> = {};
    for (const s of all) groups[s.labels[groupBy] || '*'] = dense([s]);
    return { timeline: dense(all), groups };
  }

  async profileTypes(tenant: string, startMs: number, endMs: number): Promise<string[]> {
    return this.store.profileTypes({ tenant, startMs, endMs });
  }

  async labelNames(tenant: string, matchers: readonly Matcher[], startMs: number, endMs: number): Promise<string[]> {
    return this.store.labelNames({ tenant, matchers, startMs, endMs });
  }

  async labelValues(
    tenant: string,
    name: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
  ): Promise<string[]> {
    return this.store.labelValues({ tenant, name, matchers, startMs, endMs });
  }

  /** Label sets of matching series; `labelNames` keeps only those names when not empty. */
  async seriesLabels(
    tenant: string,
    matchers: readonly Matcher[],
    labelNames: readonly string[],
    startMs: number,
    endMs: number,
  ): Promise<Labels[]> {
    const all = await this.store.series({ tenant, matchers, startMs, endMs });
    if (labelNames.length === 0) return all;
    const seen = new Map<string, Labels>();
    for (const labels of all) {
      const kept: Record<string, string> = {};
      for (const name of labelNames) if (labels[name] !== undefined) kept[name] = labels[name]!;
      seen.set(JSON.stringify(Object.entries(kept)), kept);
    }
    return [...seen.values()];
  }
}

const ROUND_STEPS_S = [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800, 2592000];

/** Pyroscope's timeline step: the range over 1500 points, rounded up to a round interval, at least 15 s. */
export function timelineStepMs(startMs: number, endMs: number): number {
  const raw = (endMs - startMs) / 1500 / 1000;
  const step = ROUND_STEPS_S.find((s) => s >= raw) ?? Math.ceil(raw / 86400) * 86400;
  return step * 1000;
}

export function checkRange(startMs: number, endMs: number): void {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs <= startMs) {
    throw queryError('ERR_QUERY_INVALID_RANGE', `the range [${startMs}, ${endMs}) ms is empty or not a time`);
  }
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
