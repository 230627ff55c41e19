/**
 * The tools one agent step may call, gathered from its request: registered functions and
 * inline HTTP/workflow tools by name or spec, plus every tool of its MCP servers. Built on
 * first need, so a re-execution that only replays recorded turns connects to nothing.
 */
import { BatonError } from '../../errors.ts';
import type { ExecuteContext } from '../../kinds/types.ts';
import type { AgentRequest, ApprovalSpec } from '../role.ts';
import type { AgentServices } from '../services.ts';
import { httpTool } from './http-tool.ts';
import { mcpWithSecrets } from './mcp-secrets.ts';
import { registeredTool } from './registered.ts';
import type { AgentTool } from './types.ts';
import { type RunWorkflow, workflowTool } from './workflow-tool.ts';

export async function buildToolbox(
  request: AgentRequest,
  step: ExecuteContext,
  agents: AgentServices,
  runWorkflow: RunWorkflow | undefined,
): Promise<Map<string, AgentTool>> {
  const tools = new Map<string, AgentTool>();
  const add = (tool: AgentTool, origin: string) => {
    if (tools.has(tool.name)) {
      throw new BatonError(
        'AGENT_TOOL_CONFLICT',
        `Agent step "${step.path}" has two tools named "${tool.name}" (the second from ${origin}); rename one`,
      );
    }
    tools.set(tool.name, tool);
  };
  for (const ref of request.tools) {
    if (typeof ref === 'string') {
      const definition = agents.tools.get(ref);
      if (!definition) throw toolNotFound(ref, step.path, agents);
      add(registeredTool(ref, definition), 'engine.registerTool');
    } else if ('http' in ref) add(httpTool(ref, step), 'an http tool');
    else add(workflowTool(ref, runWorkflow), 'a workflow tool');
  }
  if (request.mcp.length > 0) {
    const servers = await mcpWithSecrets(request.mcp, step);
    for (const tool of await agents.mcp.toolsFor(servers, step.signal, step.services.http.allowHosts))
      add(tool, 'an MCP server');
  }
  return tools;
}

/** How a call of `name` must be approved, if at all; known without building the toolbox (MCP tools by name only). */
export function approvalFor(
  name: string,
  request: AgentRequest,
  agents: AgentServices,
): ApprovalSpec | undefined {
  if (request.approvalRequired.includes(name)) return true;
  for (const ref of request.tools) {
    if (typeof ref === 'string' && ref === name) return agents.tools.get(name)?.approval;
    if (typeof ref === 'object' && ref.name === name) return ref.approval;
  }
  return undefined;
}

function toolNotFound(name: string, path: string, agents: AgentServices): BatonError {
  const known = [...agents.tools.keys()];
  return new BatonError(
    'AGENT_TOOL_NOT_FOUND',
    `Agent step "${path}" lists tool "${name}", which is neither registered (engine.registerTool('${name}', …)) ` +
      `nor defined in the workflow's top-level tools: map${known.length ? `; registered tools: ${known.join(', ')}` : ''}`,
    { details: { tool: name, registered: known } },
  );
}
