/**
 * Where secret values come from. A workflow names its secrets (`secrets:` section,
 * `${{ secrets.NAME }}`); the engine asks its provider for their values on the worker, right
 * before the request that needs them, and never writes them to history or logs. The default
 * provider reads the worker's environment; `createEngine({ secrets })` plugs in a vault.
 */

/** Looks up a secret by name; `undefined` (or an empty string) means it has no value. */
export interface SecretsProvider {
  get(name: string): string | undefined | Promise<string | undefined>;
}

/** Secrets from environment variables of the same name (default: the process environment, read at each lookup). */
export function envSecrets(env: Readonly<Record<string, string | undefined>> = process.env): SecretsProvider {
  return { get: (name) => env[name] };
}

/** The engine's provider and how to tell a user where a missing secret should be set. */
export interface SecretsSource {
  provider: SecretsProvider;
  /** Where a missing value should be put, for error messages. */
  hint(name: string): string;
}

export function secretsSource(provider: SecretsProvider | undefined): SecretsSource {
  if (provider) {
    return { provider, hint: (name) => `the engine's secrets provider has no value for ${name}` };
  }
  return {
    provider: envSecrets(),
    hint: (name) =>
      `set ${name} in the environment of the worker, or give the engine a secrets provider (createEngine({ secrets }))`,
  };
}
