/**
 * Orders step instances as a tree: each block step is followed by its nested instances
 * (`fan[0]/double`, `fan[1]/double`…), siblings in the order they started.
 */
const INSTANCE = /^(.*)\[(\d+)\]$/;

export function treeOrder<T extends { path: string }>(items: readonly T[], rank: (item: T) => number): T[] {
  const rankByPath = new Map(items.map((item) => [item.path, rank(item)]));
  const key = (path: string): number[] => {
    const segments = path.split('/');
    const parts: number[] = [];
    for (let i = 0; i < segments.length - 1; i++) {
      const match = INSTANCE.exec(segments.slice(0, i + 1).join('/'));
      const owner = match ? match[1] : segments.slice(0, i + 1).join('/');
      parts.push(rankByPath.get(owner) ?? Number.MAX_SAFE_INTEGER, match ? Number(match[2]) : 0);
    }
    parts.push(rankByPath.get(path) ?? Number.MAX_SAFE_INTEGER);
    return parts;
  };
  const keys = new Map(items.map((item) => [item, key(item.path)]));
  return [...items].sort((a, b) => compareKeys(keys.get(a)!, keys.get(b)!) || a.path.localeCompare(b.path));
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
