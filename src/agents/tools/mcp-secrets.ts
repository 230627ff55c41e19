// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * `${{ secrets.NAME }}` in an MCP server's `headers` (HTTP) or `env` (stdio), rendered by the
 * worker when it connects: the recorded step input keeps the template, the connection gets the
 * value. Servers given to the engine by name are configured in code and used as they are.
 */
import { compileTemplate } from '../../expr/index.ts';
import type { ExecuteContext } from '../../kinds/types.ts';
import type { McpServerSpec } from '../role.ts';

export async function mcpWithSecrets(
  servers: readonly (string | McpServerSpec)[],
  step: ExecuteContext,
): Promise<(string | McpServerSpec)[]> {
  return Promise.all(
    servers.map(async (entry) => {
      if (typeof entry === 'string') return entry;
      if ('command' in entry && entry.env)
        return { ...entry, env: await render(entry.env, `env of MCP server "${entry.name}"`, step) };
      if ('url' in entry && entry.headers)
        return {
          ...entry,
          headers: await render(entry.headers, `headers of MCP server "${entry.name}"`, step),
        };
      return entry;
    }),
  );
}

async function render(
  values: Record<string, string>,
  field: string,
  step: ExecuteContext,
): Promise<Record<string, string>> {
  if (!Object.values(values).some((value) => value.includes('${{'))) return values;
  const scope = { secrets: step.secrets?.references() ?? {} };
  const rendered: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (!value.includes('${{')) {
      rendered[name] = value;
      continue;
    }
    const result = compileTemplate(value).evaluate(scope);
    rendered[name] = typeof result === 'string' ? result : (JSON.stringify(result) ?? '');
  }
  return step.secrets ? step.secrets.resolve(rendered, field) : rendered;
}
