/**
 * The secrets of one step execution. References are resolved only when they are genuine: sealed
 * into the step's recorded input by the scheduler, or made by this object for a template the
 * worker evaluates (an agent's HTTP tool, an MCP server's headers). Every value revealed is
 * remembered so that what the step records, logs or publishes can be redacted of it.
 */
import { randomBytes } from 'node:crypto';
import { findSecrets, mapStrings, replaceReferences, sealedNonce, secretTable } from '../core/secret-refs.ts';
import { BatonError, type JsonValue } from '../errors.ts';
import type { StepSecrets } from '../kinds/types.ts';
import type { SecretsSource } from './secrets.ts';

/** Shorter values are not redacted: replacing every "on" or "1" would garble every output. */
const MIN_REDACTED_LENGTH = 4;
const MASK = '***';

export class ExecutionSecrets implements StepSecrets {
  readonly #source: SecretsSource;
  readonly #names: readonly string[];
  readonly #input: JsonValue;
  /** Nonces of the references this execution may resolve; worked out on first need (most steps have none). */
  #nonces?: Set<string>;
  #own?: string;
  readonly #lookups = new Map<string, Promise<string | undefined>>();
  /** Forms of each revealed value as they may appear in text (raw, URL-encoded, JSON-escaped), longest first. */
  #masks: string[] = [];

  /** `input`: the step's recorded input, whose sealed references this execution may resolve. */
  constructor(source: SecretsSource, names: readonly string[], input: JsonValue) {
    this.#source = source;
    this.#names = names;
    this.#input = input;
  }

  async resolve<T extends JsonValue>(value: T, field: string): Promise<T> {
    const nonces = this.#accepted();
    const uses = findSecrets(value, nonces);
    if (uses.length === 0) return value;
    const values = new Map<string, string>();
    for (const { name } of uses) if (!values.has(name)) values.set(name, await this.#value(name, field));
    const accepts = (nonce: string) => nonces.has(nonce);
    return mapStrings(value, (text) => replaceReferences(text, accepts, (name) => values.get(name) ?? ''));
  }

  conceal(value: string): void {
    if (value.length < MIN_REDACTED_LENGTH) return;
    const forms = [
      value,
      encodeURIComponent(value),
      new URLSearchParams({ v: value }).toString().slice(2),
      JSON.stringify(value).slice(1, -1),
    ];
    this.#masks = [...new Set([...this.#masks, ...forms])].sort((a, b) => b.length - a.length);
  }

  references(): Record<string, string> {
    if (this.#own === undefined) {
      this.#own = randomBytes(8).toString('hex');
      this.#nonces?.add(this.#own);
    }
    return secretTable(this.#names, this.#own);
  }

  redact<T>(value: T): T {
    if (this.#masks.length === 0) return value;
    return mapStrings(value, (text) => this.redactText(text));
  }

  redactText(text: string): string {
    let result = text;
    for (const mask of this.#masks) if (result.includes(mask)) result = result.split(mask).join(MASK);
    return result;
  }

  /** The sealed nonce of the recorded input, and this execution's own once it made references. */
  #accepted(): Set<string> {
    if (!this.#nonces) {
      this.#nonces = new Set();
      const sealed = sealedNonce(this.#input);
      if (sealed) this.#nonces.add(sealed);
      if (this.#own) this.#nonces.add(this.#own);
    }
    return this.#nonces;
  }

  async #value(name: string, field: string): Promise<string> {
    let lookup = this.#lookups.get(name);
    if (!lookup) {
      lookup = Promise.resolve()
        .then(() => this.#source.provider.get(name))
        .catch((error: unknown) => {
          throw new BatonError(
            'SECRET_UNAVAILABLE',
            `the secrets provider failed to return secret "${name}": ${error instanceof Error ? error.message : String(error)}`,
            { retryable: true, details: { secret: name } },
          );
        });
      this.#lookups.set(name, lookup);
    }
    const value = await lookup;
    if (typeof value !== 'string' || value === '') {
      throw new BatonError(
        'SECRET_MISSING',
        `secret "${name}" (used in ${field}) has no value: ${this.#source.hint(name)}`,
        { details: { secret: name, field } },
      );
    }
    this.conceal(value);
    return value;
  }
}
