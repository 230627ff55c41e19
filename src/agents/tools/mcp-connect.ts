/**
 * One MCP connection through the official SDK client: the transport for a stdio command or a
 * streamable HTTP URL (its `mcp-session-id` kept by the SDK's transport, `headers` sent with
 * every request), the handshake and the server's tool list. Closing an HTTP connection ends its
 * session with DELETE, as the protocol asks of a client that is done with it.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { BatonError } from '../../errors.ts';
import type { McpServerSpec } from '../role.ts';

const CONNECT_TIMEOUT_MS = 30_000;
/** Closing waits this long for a server to acknowledge the end of a session; a dead one must not hold up engine.close(). */
const END_SESSION_TIMEOUT_MS = 2_000;
/** A server that keeps handing out cursors is cut off here rather than listed forever. */
const MAX_TOOL_PAGES = 100;

export interface McpTool {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

export interface McpConnection {
  client: Client;
  tools: McpTool[];
  /** Ends the session (HTTP) and closes the transport; never throws. */
  close(): Promise<void>;
}

/** How a failed request left its connection. */
export type McpFailure = 'answered' | 'session-lost' | 'broken';

/**
 * `allowHosts`: given for servers a workflow declares (their URL comes from the workflow
 * file, not from the code that configured the engine): their requests then pass the HTTP
 * steps' address guard, so a workflow cannot reach internal addresses through MCP either.
 */
export async function openMcp(
  spec: McpServerSpec,
  signal: AbortSignal,
  allowHosts?: readonly string[],
): Promise<McpConnection> {
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
            fetch: allowHosts === undefined ? undefined : await guardedFetch(allowHosts),
          });
    await client.connect(transport, { signal, timeout: CONNECT_TIMEOUT_MS });
    return {
      client,
      tools: await listTools(client, signal),
      async close() {
        if (transport instanceof StreamableHTTPClientTransport) await endSession(transport);
        await client.close().catch(() => undefined);
      },
    };
  } catch (error) {
    await client.close().catch(() => undefined);
    const blocked = addressRefusal(error);
    if (blocked)
      throw new BatonError(
        'MCP_ADDRESS_BLOCKED',
        `cannot connect to MCP server "${spec.name}" (${where}): ${blocked.message}`,
        { retryable: false, details: { server: spec.name, ...blocked.details } },
      );
    throw new BatonError(
      'MCP_UNAVAILABLE',
      `cannot connect to MCP server "${spec.name}" (${where}): ${mcpReason(error)}`,
      { retryable: true, details: { server: spec.name } },
    );
  }
}

/**
 * `answered`: the request failed (a JSON-RPC error, a timeout) but the connection is fine. `session-lost`:
 * the server answered 404 to the session id (restarted, or expired the session) without running
 * the request, so a new session may send it again. `broken`: the transport failed.
 */
export async function classifyMcpFailure(error: unknown): Promise<McpFailure> {
  // Loaded already: a request failed, so a connection was opened.
  const [{ McpError, ErrorCode }, { StreamableHTTPError }] = await Promise.all([
    import('@modelcontextprotocol/sdk/types.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]);
  if (error instanceof StreamableHTTPError && error.code === 404) return 'session-lost';
  if (error instanceof McpError && error.code !== ErrorCode.ConnectionClosed) return 'answered';
  return 'broken';
}

/** The fetch of the HTTP steps (undici, through the address guard); loaded only for declared HTTP servers. */
async function guardedFetch(allowHosts: readonly string[]): Promise<FetchLike> {
  const [{ fetch }, { guardedAgent }] = await Promise.all([
    import('undici'),
    import('../../kinds/http-guard.ts'),
  ]);
  const dispatcher = guardedAgent(allowHosts);
  return ((url: string | URL, init?: RequestInit) =>
    fetch(url, { ...(init as object), dispatcher })) as unknown as FetchLike;
}

/** The guard's refusal somewhere in an error's causes (the SDK and fetch wrap it). */
function addressRefusal(error: unknown): BatonError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof BatonError && current.code === 'HTTP_ADDRESS_BLOCKED') return current;
    current = current.cause;
  }
  return undefined;
}

/** The useful part of an SDK error: `fetch failed` says nothing, its cause (`connect ECONNREFUSED …`) does. */
export function mcpReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as (Error & { code?: string }) | undefined;
  if (error.message === 'fetch failed' && cause) return cause.message || cause.code || error.message;
  return error.message;
}

async function listTools(client: Client, signal: AbortSignal): Promise<McpTool[]> {
  const tools: McpTool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const listed = await client.listTools(cursor ? { cursor } : undefined, {
      signal,
      timeout: CONNECT_TIMEOUT_MS,
    });
    for (const tool of listed.tools) {
      tools.push({
        name: tool.name,
        description: tool.description,
        inputSchema: tool.inputSchema as Record<string, unknown>,
      });
    }
    cursor = listed.nextCursor;
    if (!cursor) break;
  }
  return tools;
}

async function endSession(transport: { terminateSession(): Promise<void> }): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, END_SESSION_TIMEOUT_MS);
  });
  try {
    await Promise.race([transport.terminateSession().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
