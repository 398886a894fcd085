import { useEffect, useState } from 'react';

export type AsyncState<T> =
  { status: 'loading'; value?: T } | { status: 'done'; value: T } | { status: 'error'; error: Error; value?: T };

/**
 * Runs `load` whenever `key` changes, aborting the previous call; keeps the last value while
 * loading so a view does not flash empty between ranges.
 */
export function useAsync<T>(key: string, load: (signal: AbortSignal) => Promise<T>): AsyncState<T> {
  const [state, setState] = useState<AsyncState<T>>({ status: 'loading' });
  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ status: 'loading', ...(s.value !== undefined ? { value: s.value } : {}) }));
    load(abort.signal).then(
      (value) => {
        if (!abort.signal.aborted) setState({ status: 'done', value });
      },
      (error: unknown) => {
        if (!abort.signal.aborted)
          setState({ status: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => abort.abort();
    // `load` closes over what `key` names: the key is the dependency, not the closure.
  }, [key]);
  return state;
}
