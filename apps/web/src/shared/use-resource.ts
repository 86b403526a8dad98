import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api-client';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again, keeping the current data on screen until the answer arrives. */
  reload: () => void;
  /** Replaces the data locally, e.g. with the answer of a write. */
  setData: (data: T | undefined) => void;
}

export interface ResourceOptions {
  /** When false nothing is loaded (e.g. until a prerequisite is known). */
  enabled?: boolean;
  /** Reload every so many milliseconds while mounted. */
  refreshMs?: number;
  /**
   * A 404 is not an error but "nothing here" (`data` stays undefined): for optional features
   * an installation may not offer.
   */
  notFoundAsEmpty?: boolean;
}

/** Loads `loader()` on mount and whenever `key` changes; never throws into the render. */
export function useResource<T>(
  key: string,
  loader: (signal: AbortSignal) => Promise<T>,
  options: ResourceOptions = {},
): Resource<T> {
  const { enabled = true, refreshMs, notFoundAsEmpty = false } = options;
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(enabled);
  const [generation, setGeneration] = useState(0);
  const loaderRef = useRef(loader);
  loaderRef.current = loader;

  useEffect(() => {
    if (!enabled) {
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    loaderRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        if (notFoundAsEmpty && failure instanceof ApiError && failure.isNotFound) {
          setData(undefined);
          setError(undefined);
        } else {
          setError(failure);
        }
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [key, enabled, generation, notFoundAsEmpty]);

  useEffect(() => {
    if (!enabled || !refreshMs) return;
    const timer = setInterval(() => setGeneration((value) => value + 1), refreshMs);
    return () => clearInterval(timer);
  }, [enabled, refreshMs]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data, error, loading, reload, setData };
}
