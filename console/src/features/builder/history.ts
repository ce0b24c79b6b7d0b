import { useCallback, useState } from "react";

/** A value with undo and redo: each ``set`` is one step back. */
export function useHistory<T>(initial: T) {
  const [state, setState] = useState<{ past: T[]; present: T; future: T[]; revision: number }>({
    past: [],
    present: initial,
    future: [],
    revision: 0,
  });
  const set = useCallback((next: T | ((current: T) => T)) => {
    setState((s) => {
      const value = typeof next === "function" ? (next as (c: T) => T)(s.present) : next;
      if (value === s.present) return s;
      return { past: [...s.past, s.present].slice(-200), present: value, future: [], revision: s.revision + 1 };
    });
  }, []);
  /** Replaces the value and forgets the history (a document loaded, not edited). */
  const reset = useCallback((value: T) => setState((s) => ({ past: [], present: value, future: [], revision: s.revision + 1 })), []);
  const undo = useCallback(
    () =>
      setState((s) =>
        s.past.length
          ? { past: s.past.slice(0, -1), present: s.past[s.past.length - 1]!, future: [s.present, ...s.future], revision: s.revision + 1 }
          : s,
      ),
    [],
  );
  const redo = useCallback(
    () =>
      setState((s) =>
        s.future.length
          ? { past: [...s.past, s.present], present: s.future[0]!, future: s.future.slice(1), revision: s.revision + 1 }
          : s,
      ),
    [],
  );
  return {
    value: state.present,
    /** Changes with every edit, undo and redo: compare with the one saved. */
    revision: state.revision,
    set,
    reset,
    undo,
    redo,
    canUndo: state.past.length > 0,
    canRedo: state.future.length > 0,
  };
}
