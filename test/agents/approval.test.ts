/**
 * Tools that need a human: the step suspends durably before the call, resumes with the
 * decision (recorded turns are not sent to the model again), runs the tool on approval —
 * with the approver's edited arguments if any — and tells the model about a rejection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { until } from '../helpers/engine.ts';
import { type AgentHarness, agentHarness, oneAgentWorkflow } from './support.ts';

describe('tool approvals', () => {
  let h: AgentHarness;
  const deployed: string[] = [];
  before(async () => {
    h = await agentHarness();
    h.t.engine.registerTool('deploy', {
      description: 'Deploys a service',
      parameters: z.object({ service: z.string() }),
      approval: true,
      execute: ({ service }: { service: string }) => {
        deployed.push(service);
        return `deployed ${service}`;
      },
    });
    h.t.engine.registerTool('restart', {
      description: 'Restarts a service',
      parameters: z.object({ service: z.string() }),
      execute: ({ service }: { service: string }) => {
        deployed.push(`restart ${service}`);
        return 'restarted';
      },
    });
  });
  after(() => h.close());

  async function startAndAwaitApproval(name: string) {
    const handle = await h.t.engine.start(name);
    await until(async () => (await h.t.engine.pendingApprovals({ runId: handle.id })).length === 1);
    const [pending] = await h.t.engine.pendingApprovals({ runId: handle.id });
    return { handle, pending };
  }

  test('approved: the call runs once with the approver’s edited arguments; turn 1 is not re-sent', async () => {
    deployed.length = 0;
    h.server.push(
      { toolCalls: [{ id: 'call_d', name: 'deploy', args: { service: 'api' } }] },
      { text: 'Deployed.' },
    );
    const name = await h.t.define(
      oneAgentWorkflow('approve-tool', '{ model: openai:gpt-4o-mini, tools: [deploy] }'),
    );
    const before = h.server.requests.length;
    const { handle, pending } = await startAndAwaitApproval(name);
    const approval = pending.step.detail?.approval as { request: { message: string; payload: unknown } };
    assert.equal(approval.request.message, 'Agent wants to call deploy with {"service":"api"}');
    assert.deepEqual(approval.request.payload, { service: 'api' });
    assert.equal((await h.t.engine.getRun(handle.id)).status, 'waiting');
    assert.deepEqual(deployed, [], 'nothing runs before the decision');

    await h.t.engine.approve(handle.id, { by: 'alice', payload: { service: 'api-canary' } });
    const output = (await handle.result()) as { text: string; toolCalls: string[] };
    assert.equal(output.text, 'Deployed.');
    assert.deepEqual(deployed, ['api-canary']);
    const requests = h.server.requests.slice(before);
    assert.equal(requests.length, 2, 'the recorded first turn was replayed, not asked again');
    const toolMessage = requests[1].body.messages.find((m) => m.role === 'tool');
    assert.equal(toolMessage?.content, 'deployed api-canary');
    const decided = (await h.t.engine.history(handle.id)).find((e) => e.type === 'ApprovalDecided');
    assert.ok(decided && decided.type === 'ApprovalDecided');
    assert.equal(decided.decision, 'approved');
    assert.equal(decided.by, 'alice');
  });

  test('rejected: the tool does not run and the model is told who rejected it and why', async () => {
    deployed.length = 0;
    h.server.push(
      {
        toolCalls: [
          { id: 'call_r', name: 'deploy', args: { service: 'db' } },
          { id: 'call_free', name: 'restart', args: { service: 'cache' } },
        ],
      },
      { text: 'I did not deploy the database.' },
    );
    const name = await h.t.define(
      oneAgentWorkflow('reject-tool', '{ model: openai:gpt-4o-mini, tools: [deploy, restart] }'),
    );
    const before = h.server.requests.length;
    const { handle } = await startAndAwaitApproval(name);
    await h.t.engine.reject(handle.id, { by: 'bob', comment: 'not on a Friday' });
    const output = (await handle.result()) as { text: string };
    assert.equal(output.text, 'I did not deploy the database.');
    assert.deepEqual(deployed, ['restart cache'], 'only the call without approval ran');
    const results = Object.fromEntries(
      h.server.requests
        .slice(before)[1]
        .body.messages.filter((m) => m.role === 'tool')
        .map((m) => [m.tool_call_id, m.content]),
    );
    assert.deepEqual(results, { call_r: 'rejected by bob: not on a Friday', call_free: 'restarted' });
    const history = await h.t.engine.history(handle.id);
    const decided = history.find((e) => e.type === 'ApprovalDecided');
    assert.ok(
      decided &&
        decided.type === 'ApprovalDecided' &&
        decided.decision === 'rejected' &&
        decided.by === 'bob',
    );
  });

  test('a role can require approval for tools by name', async () => {
    deployed.length = 0;
    h.server.push(
      { toolCalls: [{ id: 'call_q', name: 'restart', args: { service: 'web' } }] },
      { text: 'Done.' },
    );
    const name = await h.t.define(
      oneAgentWorkflow(
        'role-approval',
        '{ model: openai:gpt-4o-mini, tools: [restart], approvalRequired: [restart] }',
      ),
    );
    const { handle, pending } = await startAndAwaitApproval(name);
    assert.match(
      String(
        (pending.step.detail?.approval as { request?: { message: string } } | undefined)?.request?.message,
      ),
      /restart with \{"service":"web"\}/,
    );
    await h.t.engine.approve(handle.id, { by: 'carol' });
    await handle.result();
    assert.deepEqual(deployed, ['restart web']);
  });
});
