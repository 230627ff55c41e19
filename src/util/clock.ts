/** Time and identity are injected so tests can run on a simulated clock with predictable ids. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
  set(ms: number): void {
    this.#now = ms;
  }
}

export type IdGenerator = () => string;

/** Time-ordered, URL-safe run ids: 10 chars of time plus 10 random base-36 chars. */
export function defaultIdGenerator(
  clock: Clock = systemClock,
  random: () => number = Math.random,
): IdGenerator {
  return () => {
    const time = clock.now().toString(36).padStart(10, '0');
    let tail = '';
    for (let i = 0; i < 10; i++) tail += Math.floor(random() * 36).toString(36);
    return `r${time}${tail}`;
  };
}
