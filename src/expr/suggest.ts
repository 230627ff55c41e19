import { closest, distance } from 'fastest-levenshtein';

/** The closest known name when it is plausibly a typo of `name`, else undefined. */
export function suggestName(name: string, known: Iterable<string>): string | undefined {
  const candidates = [...known];
  if (candidates.length === 0) return undefined;
  const lower = name.toLowerCase();
  const caseOnly = candidates.find((candidate) => candidate.toLowerCase() === lower);
  if (caseOnly !== undefined) return caseOnly;
  const best = closest(name, candidates);
  const tolerance = name.length <= 3 ? 1 : name.length <= 6 ? 2 : 3;
  return distance(name, best) <= tolerance ? best : undefined;
}

/** ` ; did you mean "x"?` or a list of the known names, appended to unknown-name messages. */
export function suggestionHint(name: string, known: Iterable<string>): { hint: string; suggestion?: string } {
  const suggestion = suggestName(name, known);
  if (suggestion !== undefined) return { hint: `; did you mean "${suggestion}"?`, suggestion };
  const list = [...known].sort();
  if (list.length === 0) return { hint: '' };
  const shown = list.length > 20 ? [...list.slice(0, 20), '…'] : list;
  return { hint: `; known names: ${shown.join(', ')}` };
}
