/** A built-in function with its accepted argument count, checked at compile time when the call has no spread. */
export interface BuiltinDefinition {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly call: (...args: unknown[]) => unknown;
}
