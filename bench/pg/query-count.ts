/**
 * Counts the statements a process sends through node-postgres: every `query()` of a
 * `pg` Client (pool queries included, and BEGIN/COMMIT) is one round trip to the server.
 * Both engines use `pg`; each side passes the Client class of its own copy.
 */
interface QueryableClass {
  prototype: { query: (...args: never[]) => unknown };
}

/** Starts counting; the returned function reads the count so far. */
export function countQueries(clientClass: QueryableClass): () => number {
  let count = 0;
  const prototype = clientClass.prototype as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    count++;
    return original.apply(this, args);
  };
  return () => count;
}
