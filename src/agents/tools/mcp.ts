/**
 * MCP servers as tool providers, through the official SDK client: a stdio command or a
 * streamable HTTP URL. Connections are opened on first use, shared by every agent step of
 * the process, and closed when the engine closes. A server's tools are offered to the model
 * as `<server>_<tool>`; a failed connection is dropped so the next step tries again.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { BatonError, type JsonValue } from '../../errors.ts';
import type { McpServerConfig, McpServerSpec } from '../role.ts';
import { schemaErrors } from '../structured-output.ts';
import type { AgentTool } from './types.ts';

/** MCP requests may take as long as the step allows; the step's signal cancels them. */
const CALL_TIMEOUT_MS = 30 * 60_000;
const CONNECT_TIMEOUT_MS = 30_000;

interface McpTool {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

interface Connection {
  client: Client;
  tools: McpTool[];
}

export class McpManager {
  readonly #connections = new Map<string, Promise<Connection>>();
  readonly #servers: Readonly<Record<string, McpServerSpec>>;

  /** `servers`: MCP servers given to the engine, which roles may name instead of declaring them. */
  constructor(servers: Readonly<Record<string, McpServerConfig>> = {}) {
    this.#servers = Object.fromEntries(
      Object.entries(servers).map(([name, spec]) => [name, { ...spec, name } as McpServerSpec]),
    );
  }

  /** The tools of the servers a role lists (names of engine-level servers, or inline specs). */
  async toolsFor(servers: readonly (string | McpServerSpec)[], signal: AbortSignal): Promise<AgentTool[]> {
    const tools: AgentTool[] = [];
    for (const entry of servers) {
      const spec = typeof entry === 'string' ? this.#named(entry) : entry;
      const connection = await this.#connect(spec, signal);
      const allowed = spec.tools ? new Set(spec.tools) : undefined;
      for (const tool of connection.tools) {
        if (allowed && !allowed.has(tool.name)) continue;
        tools.push(this.#agentTool(spec, tool));
      }
    }
    return tools;
  }

  async close(): Promise<void> {
    const connections = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.allSettled(connections.map(async (pending) => (await pending).client.close()));
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

  #connect(spec: McpServerSpec, signal: AbortSignal): Promise<Connection> {
    const key = JSON.stringify(spec);
    let pending = this.#connections.get(key);
    if (!pending) {
      pending = open(spec, signal);
      this.#connections.set(key, pending);
      pending.catch(() => this.#connections.delete(key));
    }
    return pending;
  }

  #agentTool(spec: McpServerSpec, tool: McpTool): AgentTool {
    return {
      name: `${spec.name}_${tool.name}`.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64),
      description: tool.description,
      inputSchema: tool.inputSchema,
      parse: (args) => {
        const errors = schemaErrors(tool.inputSchema, args);
        return errors.length === 0
          ? { ok: true, args: args as Record<string, JsonValue> }
          : { ok: false, errors };
      },
      execute: async (args, ctx) => {
        const { client } = await this.#connect(spec, ctx.signal);
        let result: Awaited<ReturnType<Client['callTool']>>;
        try {
          result = await client.callTool(
            { name: tool.name, arguments: args, _meta: { idempotencyKey: ctx.idempotencyKey } },
            undefined,
            { signal: ctx.signal, timeout: CALL_TIMEOUT_MS },
          );
        } catch (error) {
          throw new BatonError(
            'MCP_CALL_FAILED',
            `MCP server "${spec.name}" failed on tool ${tool.name}: ${(error as Error).message}`,
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

async function open(spec: McpServerSpec, signal: AbortSignal): Promise<Connection> {
  // The SDK loads only when a workflow uses MCP: most processes never pay for it.
  const [{ Client }, { getDefaultEnvironment, StdioClientTransport }, { StreamableHTTPClientTransport }] =
    await Promise.all([
      import('@modelcontextprotocol/sdk/client/index.js'),
      import('@modelcontextprotocol/sdk/client/stdio.js'),
      import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    ]);
  const client = new Client({ name: 'baton', version: '0.1.0' });
  const where = 'command' in spec ? `command "${spec.command}"` : `URL ${spec.url}`;
  try {
    const transport =
      'command' in spec
        ? new StdioClientTransport({
            command: spec.command,
            args: spec.args,
            // Only the SDK's safe defaults (PATH, HOME…) and what the spec names: API keys stay in Baton.
            env: spec.env ? { ...getDefaultEnvironment(), ...spec.env } : undefined,
            cwd: spec.cwd,
            stderr: 'inherit',
          })
        : new StreamableHTTPClientTransport(new URL(spec.url), {
            requestInit: spec.headers ? { headers: spec.headers } : undefined,
          });
    await client.connect(transport, { signal, timeout: CONNECT_TIMEOUT_MS });
    const listed = await client.listTools(undefined, { signal, timeout: CONNECT_TIMEOUT_MS });
    return {
      client,
      tools: listed.tools.map((tool) => ({
        name: tool.name,
        description: tool.description,
        inputSchema: tool.inputSchema as Record<string, unknown>,
      })),
    };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new BatonError(
      'MCP_UNAVAILABLE',
      `cannot connect to MCP server "${spec.name}" (${where}): ${(error as Error).message}`,
      { retryable: true, details: { server: spec.name } },
    );
  }
}
