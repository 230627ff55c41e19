/**
 * What the engine owns for agent steps and hands to them through ExecuteServices: the
 * registered tools, model settings (environment, custom providers, record/replay), the price
 * table, and the MCP connections, which live as long as the engine.
 */
import type { Logger } from 'pino';
import { BatonError } from '../errors.ts';
import type { ExecuteServices } from '../kinds/types.ts';
import { envSecrets, type SecretsProvider } from '../runtime/secrets.ts';
import type { Store } from '../store/types.ts';
import { type Clock, systemClock } from '../util/clock.ts';
import { type CircuitBreakerOptions, CircuitBreakers } from './circuit-breaker.ts';
import type { PassedOver } from './model-call.ts';
import { loadPriceTable, type PriceTable } from './prices.ts';
import type { ModelFactory, ModelSettings, ProviderEnv } from './providers.ts';
import { ResponseCache } from './response-cache.ts';
import type { McpServerConfig } from './role.ts';
import { McpManager } from './tools/mcp.ts';
import { checkToolDefinition } from './tools/registered.ts';
import type { ToolDefinition } from './tools/types.ts';
import type { RunWorkflow } from './tools/workflow-tool.ts';
import { onceWarner, type PricingContext } from './usage.ts';

export interface AgentEngineOptions {
  /**
   * Where base URLs are read from (default: process.env of the worker), and API keys too unless
   * the engine has a secrets provider (createEngine({ secrets })).
   */
  env?: ProviderEnv;
  /** Price overrides and additions, merged over the defaults and BATON_LLM_PRICES. */
  prices?: Partial<PriceTable>;
  /** Extra providers by prefix: `{ google: (id) => google(id) }` makes `model: google:gemini-2.0-flash` work. */
  providers?: Record<string, ModelFactory>;
  /** MCP servers roles may name in `mcp: [name]`. */
  mcpServers?: Record<string, McpServerConfig>;
  /** Record real exchanges to this file (default: BATON_LLM_RECORD). */
  record?: string;
  /** Serve exchanges from this file instead of providers (default: BATON_LLM_REPLAY). */
  replay?: string;
  /** Endpoints roles may name in `baseURL`, besides those configured in the environment. */
  allowBaseURLs?: string[];
  /** When a model's circuit opens (consecutive failures) and how long it stays open. */
  circuitBreaker?: CircuitBreakerOptions;
}

/** What the engine lends its agent services: the store (response cache), its clock (breakers), its secrets (API keys). */
export interface AgentHost {
  store?: Store;
  clock?: Clock;
  secrets?: SecretsProvider;
}

export class AgentServices {
  readonly tools = new Map<string, ToolDefinition>();
  readonly models: ModelSettings;
  readonly pricing: PricingContext;
  readonly mcp: McpManager;
  /** Per-model circuit breakers of this engine (so, in practice, of this process). */
  readonly breakers: CircuitBreakers;
  /** The response cache in the engine's store; absent without a store. */
  readonly responseCache?: ResponseCache;
  /** Warns, once per model and process, that a chain skips a model this worker has no key or endpoint for. */
  readonly warnNotConfigured: (skipped: PassedOver) => void;

  constructor(options: AgentEngineOptions = {}, log?: Logger, host: AgentHost = {}) {
    const env = options.env ?? process.env;
    this.models = {
      env,
      secrets: host.secrets ?? envSecrets(env),
      customSecrets: host.secrets !== undefined,
      providers: options.providers ?? {},
      record: options.record ?? (env.BATON_LLM_RECORD || undefined),
      replay: options.replay ?? (env.BATON_LLM_REPLAY || undefined),
      allowBaseURLs: options.allowBaseURLs,
    };
    this.pricing = {
      prices: loadPriceTable(options.prices, env.BATON_LLM_PRICES),
      warnUnknownModel: onceWarner((model) =>
        log?.warn(
          { model },
          `no price known for ${model}: its calls are recorded with cost 0. Add it with the engine option ` +
            'agents.prices or a BATON_LLM_PRICES file.',
        ),
      ),
    };
    const skipped = new Set<string>();
    this.warnNotConfigured = ({ model, message }) => {
      if (skipped.has(model)) return;
      skipped.add(model);
      log?.warn({ model }, `${message} Fallback chains skip it and use their next model.`);
    };
    this.mcp = new McpManager(options.mcpServers);
    const clock = host.clock ?? systemClock;
    this.breakers = new CircuitBreakers(clock, options.circuitBreaker);
    if (host.store) this.responseCache = new ResponseCache(host.store, clock, log);
  }

  registerTool(name: string, definition: ToolDefinition): void {
    checkToolDefinition(name, definition);
    this.tools.set(name, definition);
  }

  close(): Promise<void> {
    return this.mcp.close();
  }
}

/** The agent services of an engine, with a clear error when a kind runs outside one. */
export function agentServicesOf(services: ExecuteServices): AgentServices {
  const agents = services.agents;
  if (!(agents instanceof AgentServices)) {
    throw new BatonError(
      'AGENT_SERVICES_MISSING',
      'agent steps need the engine’s agent services (services.agents); run them through createEngine()',
    );
  }
  return agents;
}

export function runWorkflowOf(services: ExecuteServices): RunWorkflow | undefined {
  return typeof services.runWorkflow === 'function' ? (services.runWorkflow as RunWorkflow) : undefined;
}
