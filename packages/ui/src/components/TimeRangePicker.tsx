import { useState } from 'react';
import { PRESETS, describeRange, fromInputValue, resolveRange, toInputValue } from '../app/time-range.js';

export interface TimeRangePickerProps {
  from: string;
  until: string;
  onRange(from: string, until: string): void;
  label?: string;
  testId?: string;
}

/** Presets (`now-1h` … `now-30d`) and absolute times, in a dropdown panel. */
export function TimeRangePicker({ from, until, onRange, label, testId }: TimeRangePickerProps): React.JSX.Element {
  const [open, setOpen] = useState(false);
  const now = Date.now();
  const resolved = resolveRange(from, until, now);
  const [absFrom, setAbsFrom] = useState('');
  const [absUntil, setAbsUntil] = useState('');
  const openPanel = (): void => {
    setAbsFrom(resolved ? toInputValue(resolved.fromMs) : '');
    setAbsUntil(resolved ? toInputValue(resolved.untilMs) : '');
    setOpen((o) => !o);
  };
  const applyAbsolute = (e: React.FormEvent): void => {
    e.preventDefault();
    const f = fromInputValue(absFrom);
    const u = fromInputValue(absUntil);
    if (f === null || u === null || u <= f) return;
    onRange(String(f), String(u));
    setOpen(false);
  };
  return (
    <div className="time-picker" data-testid={testId ?? 'time-picker'}>
      {label && <span className="time-picker-label">{label}</span>}
      <button type="button" className="time-picker-button" onClick={openPanel} aria-expanded={open}>
        <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" className="icon">
          <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
          <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
        </svg>{' '}
        {describeRange(from, until, now)}
      </button>
      {open && (
        <div className="time-picker-panel" role="dialog" aria-label="Time range">
          <ul className="presets">
            {PRESETS.map((p) => (
              <li key={p.from}>
                <button
                  type="button"
                  className={p.from === from && until === 'now' ? 'active' : ''}
                  onClick={() => {
                    onRange(p.from, 'now');
                    setOpen(false);
                  }}
                >
                  {p.label}
                </button>
              </li>
            ))}
          </ul>
          <form onSubmit={applyAbsolute} className="absolute">
            <label>
              From
              <input
                type="datetime-local"
                step={1}
                value={absFrom}
                onChange={(e) => setAbsFrom(e.target.value)}
                data-testid="abs-from"
              />
            </label>
            <label>
              Until
              <input
                type="datetime-local"
                step={1}
                value={absUntil}
                onChange={(e) => setAbsUntil(e.target.value)}
                data-testid="abs-until"
              />
            </label>
            <button type="submit" data-testid="abs-apply">
              Apply
            </button>
          </form>
        </div>
      )}
    </div>
  );
}
