import { useState } from 'react';
import { fetchLabelNames, fetchLabelValues, fetchProfileTypesOf } from '../api/client.js';
import {
  formatSelector,
  serviceOf,
  withMatcher,
  withoutMatcher,
  withService,
  type MatcherOp,
  type ParsedQuery,
} from '../app/query.js';
import { useAsync } from '../app/use-async.js';
import type { ResolvedRange } from '../app/time-range.js';
import { TimeRangePicker } from './TimeRangePicker.js';

/** Labels the filter does not offer: the service has its own selector, the rest are internal. */
const HIDDEN_LABELS = new Set(['service_name', '__name__', '__profile_type__', '__period_type__', '__type__']);

export interface QueryBarProps {
  query: ParsedQuery;
  range: ResolvedRange;
  onQuery(query: ParsedQuery): void;
  /** Omitted where the view picks its ranges otherwise (comparison, diff). */
  time?: { from: string; until: string; onRange(from: string, until: string): void };
}

/**
 * Service and profile type selectors, label filters with autocomplete of names and values
 * (from the server, for the selected service and range), and the time range picker.
 */
export function QueryBar({ query, range, onQuery, time }: QueryBarProps): React.JSX.Element {
  const service = serviceOf(query);
  const rangeKey = `${range.fromMs}-${range.untilMs}`;
  const services = useAsync(`services ${rangeKey}`, (signal) => fetchLabelValues('service_name', '', range, signal));
  const serviceSelector = formatSelector([{ name: 'service_name', op: '=', value: service }]);
  const types = useAsync(`types ${service} ${rangeKey}`, (signal) =>
    service === '' ? Promise.resolve([]) : fetchProfileTypesOf(serviceSelector, range, signal),
  );
  const serviceList = services.value ?? [];
  const typeList = types.value ?? [];
  return (
    <div className="query-bar" data-testid="query-bar">
      <label className="field">
        <span>Service</span>
        <select
          data-testid="service-select"
          value={service}
          onChange={(e) => onQuery(withService(query, e.target.value))}
        >
          {service === '' && <option value="">Select a service</option>}
          {service !== '' && !serviceList.includes(service) && <option value={service}>{service}</option>}
          {serviceList.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Profile type</span>
        <select
          data-testid="profile-type-select"
          value={query.profileType}
          onChange={(e) => onQuery({ ...query, profileType: e.target.value })}
        >
          {!typeList.includes(query.profileType) && (
            <option value={query.profileType}>{typeLabel(query.profileType)}</option>
          )}
          {typeList.map((t) => (
            <option key={t} value={t}>
              {typeLabel(t)}
            </option>
          ))}
        </select>
      </label>
      <LabelFilter query={query} range={range} onQuery={onQuery} />
      {time && <TimeRangePicker from={time.from} until={time.until} onRange={time.onRange} />}
    </div>
  );
}

/** `process_cpu:cpu:nanoseconds:cpu:nanoseconds` → `process_cpu · cpu (nanoseconds)`. */
export function typeLabel(id: string): string {
  const [name, type, unit] = id.split(':');
  if (!type) return id || 'Select a profile type';
  return `${name} · ${type} (${unit})`;
}

function LabelFilter({ query, range, onQuery }: Omit<QueryBarProps, 'time'>): React.JSX.Element {
  const [name, setName] = useState('');
  const [op, setOp] = useState<MatcherOp>('=');
  const [value, setValue] = useState('');
  const service = serviceOf(query);
  const selector = formatSelector(query.matchers);
  const rangeKey = `${range.fromMs}-${range.untilMs}`;
  const names = useAsync(`names ${selector} ${rangeKey}`, (signal) => fetchLabelNames(selector, range, signal));
  const values = useAsync(`values ${name} ${selector} ${rangeKey}`, (signal) =>
    name === ''
      ? Promise.resolve([])
      : fetchLabelValues(name, formatSelector([{ name: 'service_name', op: '=', value: service }]), range, signal),
  );
  const add = (e: React.FormEvent): void => {
    e.preventDefault();
    if (name === '' || (value === '' && op === '=~')) return;
    onQuery(withMatcher(query, { name, op, value }));
    setName('');
    setValue('');
  };
  return (
    <div className="label-filter" data-testid="label-filter">
      {query.matchers.map((m, i) =>
        m.name === 'service_name' && m.op === '=' ? null : (
          <span className="chip" key={`${m.name}${m.op}${m.value}`} data-testid="filter-chip">
            {m.name}
            {m.op}&quot;{m.value}&quot;
            <button
              type="button"
              aria-label={`Remove filter ${m.name}`}
              onClick={() => onQuery(withoutMatcher(query, i))}
            >
              ×
            </button>
          </span>
        ),
      )}
      <form className="filter-form" onSubmit={add}>
        <input
          data-testid="filter-name"
          list="kiln-label-names"
          placeholder="label"
          aria-label="Label name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          size={10}
        />
        <datalist id="kiln-label-names">
          {(names.value ?? [])
            .filter((n) => !HIDDEN_LABELS.has(n))
            .map((n) => (
              <option key={n} value={n} />
            ))}
        </datalist>
        <select
          aria-label="Operator"
          value={op}
          onChange={(e) => setOp(e.target.value as MatcherOp)}
          data-testid="filter-op"
        >
          <option value="=">=</option>
          <option value="!=">!=</option>
          <option value="=~">=~</option>
          <option value="!~">!~</option>
        </select>
        <input
          data-testid="filter-value"
          list="kiln-label-values"
          placeholder="value"
          aria-label="Label value"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          size={12}
        />
        <datalist id="kiln-label-values">
          {(values.value ?? []).map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
        <button type="submit" data-testid="filter-add" disabled={name === ''}>
          Add filter
        </button>
      </form>
    </div>
  );
}
