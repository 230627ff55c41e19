/** Serialises async work per key (one run's mutations) while letting different keys proceed in parallel. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const tails = this.#tails;
    const previous = tails.get(key);
    let current: Promise<T>;
    if (previous) current = previous.then(work, work);
    else {
      // Nothing holds the key: start at once rather than a turn later (one run's steps
      // mostly arrive one at a time, so this is the common case).
      try {
        current = work();
      } catch (error) {
        current = Promise.reject(error);
      }
    }
    const release = () => {
      if (tails.get(key) === tail) tails.delete(key);
    };
    const tail: Promise<unknown> = current.then(release, release);
    tails.set(key, tail);
    return current;
  }
}
