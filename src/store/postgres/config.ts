/**
 * Connection settings of the PostgreSQL store, from a URL such as
 * `postgres://user:pass@host:5432/db?schema=baton&poolSize=20`. `schema` and `poolSize` are
 * Baton's own parameters and are removed before the URL reaches the driver; every other
 * parameter (sslmode, application_name, …) is the driver's.
 */
import { BatonError } from '../../errors.ts';
import { redactUrl } from '../open.ts';

export interface PostgresStoreOptions {
  /** `postgres://…` or `postgresql://…`. */
  url: string;
  /** Schema holding Baton's tables, created when missing; overrides `?schema=`. Default `public`. */
  schema?: string;
  /** Most connections the pool opens; overrides `?poolSize=`. Default 10. */
  poolSize?: number;
  /** How long to wait for a connection before failing with STORE_UNAVAILABLE. Default 10 s. */
  connectionTimeoutMs?: number;
  /** Reported in pg_stat_activity; overrides `?application_name=`. Default `baton`. */
  applicationName?: string;
  /** Errors that happen in the background (an idle connection or the listener dropped); ignored by default. */
  onBackgroundError?: (error: unknown) => void;
}

export interface PostgresSettings {
  connectionString: string;
  schema: string;
  poolSize: number;
  connectionTimeoutMs: number;
  applicationName: string;
}

export const DEFAULT_POOL_SIZE = 10;
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function postgresSettings(options: PostgresStoreOptions): PostgresSettings {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (cause) {
    throw new BatonError(
      'INVALID_STORE_URL',
      `"${redactUrl(options.url)}" is not a valid PostgreSQL connection URL`,
      { cause },
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new BatonError(
      'INVALID_STORE_URL',
      `"${redactUrl(options.url)}" is not a postgres:// or postgresql:// URL`,
    );
  }
  const schema = options.schema ?? url.searchParams.get('schema') ?? 'public';
  if (!SCHEMA_NAME.test(schema)) {
    throw new BatonError(
      'INVALID_STORE_URL',
      `schema "${schema}" is not allowed: use letters, digits and underscores, starting with a letter or underscore (at most 63)`,
      { details: { schema } },
    );
  }
  const poolParam = url.searchParams.get('poolSize');
  const poolSize = options.poolSize ?? (poolParam === null ? DEFAULT_POOL_SIZE : Number(poolParam));
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new BatonError(
      'INVALID_STORE_URL',
      `poolSize must be a positive integer, got "${poolParam ?? poolSize}"`,
      {
        details: { poolSize: String(poolParam ?? poolSize) },
      },
    );
  }
  const applicationName = options.applicationName ?? url.searchParams.get('application_name') ?? 'baton';
  url.searchParams.delete('schema');
  url.searchParams.delete('poolSize');
  url.searchParams.delete('application_name');
  // Left to its default, PostgreSQL re-plans the one-statement commits (named prepared
  // statements, see commit-one-statement.ts) on every execution, because their estimated
  // custom plans look cheaper than the generic one; planning that statement cost half of a
  // step's commit time. Generic plans halved it and raised throughput by half. A generic
  // plan knows no parameter's value, so statements must not hinge on one: optional filters
  // are left out of the SQL instead of written as `$n IS NULL OR …` (see ClaimFilters in
  // sql.ts). `options` in the URL still applies, after this, so a deployment can override it.
  const userOptions = url.searchParams.get('options');
  url.searchParams.set('options', [GENERIC_PLANS, userOptions].filter(Boolean).join(' '));
  return {
    connectionString: url.toString(),
    schema,
    poolSize,
    connectionTimeoutMs: options.connectionTimeoutMs ?? 10_000,
    applicationName,
  };
}

const GENERIC_PLANS = '-c plan_cache_mode=force_generic_plan';

/** The schema as a quoted SQL identifier; safe to splice because names are checked above. */
export function quoteSchema(schema: string): string {
  return `"${schema}"`;
}
