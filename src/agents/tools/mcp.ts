/**
 * MCP servers as tool providers (connections opened by mcp-connect.ts). Connections are opened
 * on first use, shared by every agent step of the process, and closed when the engine closes.
 * A server's tools are offered to the model as `<server>_<tool>`. A connection that fails to
 * open, closes, or whose transport fails is dropped so the next use opens a new one; a call the
 * server refused because it lost the session (restart, expiry) is sent again in a new session.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { BatonError } from '../../errors.ts';
import type { McpServerConfig, McpServerSpec } from '../role.ts';
import { parseArguments } from './arguments.ts';
import { classifyMcpFailure, type McpConnection, type McpTool, mcpReason, openMcp } from './mcp-connect.ts';
import type { AgentTool } from './types.ts';

/** MCP requests may take as long as the step allows; the step's signal cancels them. */
const CALL_TIMEOUT_MS = 30 * 60_000;

type CallParams = Parameters<Client['callTool']>[0];
type CallResult = Awaited<ReturnType<Client['callTool']>>;

/** A server to connect to; `allowHosts` when it is one a workflow declared (guarded). */
interface Server {
  spec: McpServerSpec;
  allowHosts?: readonly string[];
}

/** Connections are shared by servers with the same spec and the same guard. */
function keyOf(server: Server): string {
  return JSON.stringify([server.spec, server.allowHosts ?? null]);
}

/** A connection and the calls using it: a dropped one is closed once they are done. */
interface Slot {
  connection: McpConnection;
  calls: number;
  dropped: boolean;
}

export class McpManager {
  readonly #connections = new Map<string, Promise<Slot>>();
  readonly #servers: Readonly<Record<string, McpServerSpec>>;

  /** `servers`: MCP servers given to the engine, which roles may name instead of declaring them. */
  constructor(servers: Readonly<Record<string, McpServerConfig>> = {}) {
    this.#servers = Object.fromEntries(
      Object.entries(servers).map(([name, spec]) => [name, { ...spec, name } as McpServerSpec]),
    );
  }

  /**
   * The tools of the servers a role lists: names of servers given to the engine (configured
   * in code, used as they are), or servers the workflow declares, whose HTTP requests must
   * pass the address guard with `allowHosts` (the engine's allow-list for HTTP steps).
   */
  async toolsFor(
    servers: readonly (string | McpServerSpec)[],
    signal: AbortSignal,
    allowHosts: readonly string[],
  ): Promise<AgentTool[]> {
    const tools: AgentTool[] = [];
    for (const entry of servers) {
      const server: Server =
        typeof entry === 'string' ? { spec: this.#named(entry) } : { spec: entry, allowHosts };
      const { connection } = await this.#connect(server, signal);
      const allowed = server.spec.tools ? new Set(server.spec.tools) : undefined;
      for (const tool of connection.tools) {
        if (allowed && !allowed.has(tool.name)) continue;
        tools.push(this.#agentTool(server, tool));
      }
    }
    return tools;
  }

  async close(): Promise<void> {
    const connections = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.allSettled(connections.map(async (pending) => (await pending).connection.close()));
  }

  #named(name: string): McpServerSpec {
    const spec = this.#servers[name];
    if (!spec) {
      const known = Object.keys(this.#servers);
      throw new BatonError(
        'MCP_SERVER_UNKNOWN',
        `MCP server "${name}" is not configured; give it to the engine (createEngine({ agents: { mcpServers: { ${name}: { command } } } })) ` +
          `or declare it inline as { name, command, args } or { name, url }${known.length ? ` (known: ${known.join(', ')})` : ''}`,
      );
    }
    return spec;
  }

  #connect(server: Server, signal: AbortSignal): Promise<Slot> {
    const key = keyOf(server);
    const existing = this.#connections.get(key);
    if (existing) return existing;
    const pending = openMcp(server.spec, signal, server.allowHosts).then((connection) => ({
      connection,
      calls: 0,
      dropped: false,
    }));
    this.#connections.set(key, pending);
    pending.then(
      ({ connection }) => {
        // A stdio server that exited, or a client closed after a failure: the next use reconnects.
        connection.client.onclose = () => this.#forget(key, pending);
      },
      () => this.#forget(key, pending),
    );
    return pending;
  }

  /** Forgets a connection, unless a newer one already took its place. */
  #forget(key: string, pending: Promise<Slot>): void {
    if (this.#connections.get(key) === pending) this.#connections.delete(key);
  }

  async #call(server: Server, params: CallParams, signal: AbortSignal): Promise<CallResult> {
    for (let attempt = 1; ; attempt++) {
      const pending = this.#connect(server, signal);
      const slot = await pending;
      slot.calls++;
      try {
        return await slot.connection.client.callTool(params, undefined, { signal, timeout: CALL_TIMEOUT_MS });
      } catch (error) {
        if (signal.aborted) throw error;
        const failure = await classifyMcpFailure(error);
        if (failure === 'answered') throw error;
        this.#forget(keyOf(server), pending);
        slot.dropped = true;
        if (failure === 'session-lost' && attempt === 1) continue;
        throw error;
      } finally {
        slot.calls--;
        // Not before: closing would fail the other calls still in flight on it.
        if (slot.dropped && slot.calls === 0) void slot.connection.client.close().catch(() => undefined);
      }
    }
  }

  #agentTool(server: Server, tool: McpTool): AgentTool {
    const spec = server.spec;
    return {
      name: `${spec.name}_${tool.name}`.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64),
      description: tool.description,
      inputSchema: tool.inputSchema,
      parse: (args) => parseArguments(tool.inputSchema, args),
      execute: async (args, ctx) => {
        let result: CallResult;
        try {
          result = await this.#call(
            server,
            { name: tool.name, arguments: args, _meta: { idempotencyKey: ctx.idempotencyKey } },
            ctx.signal,
          );
        } catch (error) {
          // A failed reconnection already names the server.
          if (error instanceof BatonError) throw error;
          throw new BatonError(
            'MCP_CALL_FAILED',
            `MCP server "${spec.name}" failed on tool ${tool.name}: ${mcpReason(error)}`,
            { retryable: true },
          );
        }
        const text = ((result.content ?? []) as { type: string; text?: string }[])
          .filter((part) => part.type === 'text')
          .map((part) => part.text)
          .join('\n');
        const value = result.structuredContent ?? text;
        if (result.isError)
          throw new BatonError('MCP_TOOL_ERROR', text || `MCP tool ${tool.name} reported an error`);
        return value;
      },
    };
  }
}
