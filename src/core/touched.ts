/**
 * The block instances (prefixes like `map[3]/`) whose steps events touched since the
 * scheduler last looked at them, kept beside the state as derived data (like the active
 * counts in state.ts): a pass over a wide map then walks only the instances that changed
 * instead of every open one (decide.ts). Tracking starts at a state's first pass; an
 * event that names no step (pause, resume, retry, budget…) may change any instance, so
 * after one the next pass looks at all of them.
 */
import type { RunEvent } from './events.ts';
import type { RunState } from './state-types.ts';

const touched = new WeakMap<RunState, Set<string> | 'all'>();

/** Records which instances `event` touched, once the scheduler tracks `state`. */
export function noteTouched(state: RunState, event: RunEvent): void {
  const seen = touched.get(state);
  if (seen === undefined || seen === 'all') return;
  if (!('path' in event) || typeof event.path !== 'string') {
    touched.set(state, 'all');
    return;
  }
  const path = event.path;
  for (let end = path.indexOf(']/'); end >= 0; end = path.indexOf(']/', end + 2))
    seen.add(path.slice(0, end + 2));
}

/** Starts a pass; true when it must look at every instance (tracking just began, or a step-less event). */
export function beginPass(state: RunState): boolean {
  if (touched.get(state) instanceof Set) return false;
  touched.set(state, new Set());
  return true;
}

/** Whether the instance with `prefix` was touched since it was last looked at; forgets that it was. */
export function takeTouched(state: RunState, prefix: string): boolean {
  const seen = touched.get(state);
  return seen instanceof Set ? seen.delete(prefix) : true;
}
