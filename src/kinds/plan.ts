// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * `plan: { tasks, steps }` runs a dynamic plan: `tasks` evaluates (usually from an agent's
 * structured output) to a list of `{ id, needs: [ids], … }`; the body runs once per task, a
 * task starting only when the tasks it needs have finished (dependency waves, with maximal
 * overlap), and a failed task skips the tasks that need it. The plan is checked before
 * anything runs: a duplicate id, an unknown dependency or a cycle fails the step. The output
 * is an object keyed by task id.
 */
import { z } from 'zod';
import type { JsonValue } from '../errors.ts';
import { itemVariableName } from './item-variable.ts';
import { describeJsonType, failOutcome, failWith, instanceOutput } from './shared.ts';
import type {
  BlockInstanceSpec,
  BlocksDoneContext,
  RawBlock,
  SchemaKit,
  StartOutcome,
  StepKind,
} from './types.ts';

export interface PlanConfig {
  tasks: unknown;
  as: string;
  concurrency?: number;
  steps: unknown[];
  output?: unknown;
  onTaskError: 'fail' | 'continue';
}

export const MAX_PLAN_TASKS = 1_000;
const BODY = 'body';

interface PlanTask {
  id: string;
  needs: string[];
  value: JsonValue;
}

export const planKind: StepKind<PlanConfig> = {
  key: 'plan',
  description:
    'Runs a dynamic plan: its steps once per task of a list of { id, needs }, in dependency waves; output keyed by task id.',

  schema(kit: SchemaKit) {
    return z
      .strictObject({
        tasks: kit.template.describe(
          'The task list [{ id, needs: [ids], … }], usually a template such as ${{ steps.decompose.output.output.tasks }}.',
        ),
        as: itemVariableName('task', 'plan')
          .default('task')
          .describe(
            'Name of the current task inside the body (default "task"); `index` is its position in the list.',
          ),
        concurrency: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe('How many tasks run at once; unlimited when absent (dependencies still apply).'),
        steps: kit.stepList.describe('The body, run once per task.'),
        output: kit.template
          .optional()
          .describe(
            'Output for each task, evaluated in the task’s scope; defaults to the last body step’s output.',
          ),
        onTaskError: z
          .enum(['fail', 'continue'])
          .default('fail')
          .describe(
            'fail (default): a failed task fails the step (after the tasks already running finish); ' +
              'continue: its entry (and those of the tasks it skipped) is null.',
          ),
      })
      .describe(
        'A dynamic plan: tasks with dependencies, expanded into a sub-DAG.',
      ) as unknown as z.ZodType<PlanConfig>;
  },

  blocks(config): RawBlock[] {
    return [{ key: BODY, steps: config?.steps ?? [], path: ['steps'] }];
  },

  blockVariables(config) {
    return [typeof config?.as === 'string' ? config.as : 'task', 'index'];
  },

  start(ctx): StartOutcome {
    const where = `Plan step "${ctx.path}"`;
    const checked = checkPlan(ctx.evaluate(ctx.config.tasks), where);
    if (!checked.ok) return checked.outcome;
    const { tasks } = checked;
    if (tasks.length === 0) return { type: 'complete', output: {}, note: { tasks: [] } };
    const position = new Map(tasks.map((task, i) => [task.id, i]));
    const as = ctx.config.as ?? 'task';
    const instances: BlockInstanceSpec[] = tasks.map((task, index) => {
      const instance: BlockInstanceSpec = { blockKey: BODY, vars: { [as]: task.value, index } };
      if (task.needs.length > 0) instance.after = task.needs.map((id) => position.get(id)!);
      return instance;
    });
    const outcome: StartOutcome = {
      type: 'blocks',
      instances,
      note: { tasks: tasks.map((task) => task.id), waves: waves(tasks) },
    };
    if (ctx.config.concurrency !== undefined) outcome.concurrency = ctx.config.concurrency;
    return outcome;
  },

  onBlocksDone(ctx: BlocksDoneContext<PlanConfig>): StartOutcome {
    const ids = (ctx.note.tasks as string[] | undefined) ?? [];
    const results = [...ctx.results].sort((a, b) => a.index - b.index);
    const continueOnError = ctx.config.onTaskError === 'continue';
    // A task whose body did not run (a dependency failed) has no completed step and counts as skipped.
    const ran = (result: (typeof results)[number]) =>
      Object.values(result.statuses).some((s) => s !== 'skipped');
    if (!continueOnError) {
      const failed = results.find((result) => result.status === 'failed');
      if (failed) return failWith(failed.error, { task: ids[failed.index] ?? failed.index });
    }
    const output: Record<string, JsonValue> = {};
    const failedTasks: string[] = [];
    const skippedTasks: string[] = [];
    for (const result of results) {
      const id = ids[result.index] ?? String(result.index);
      if (result.status === 'failed') {
        failedTasks.push(id);
        output[id] = null;
      } else if (!ran(result)) {
        skippedTasks.push(id);
        output[id] = null;
      } else {
        output[id] = instanceOutput(ctx as BlocksDoneContext<unknown>, result, ctx.config.output);
      }
    }
    const note: Record<string, JsonValue> = { ...ctx.note };
    if (failedTasks.length > 0) note.failedTasks = failedTasks;
    if (skippedTasks.length > 0) note.skippedTasks = skippedTasks;
    return { type: 'complete', output, note };
  },
};

type Checked = { ok: true; tasks: PlanTask[] } | { ok: false; outcome: StartOutcome };

/** Validates the evaluated task list: shape, unique ids, known dependencies, no cycle. */
export function checkPlan(value: unknown, where: string): Checked {
  const fail = (code: string, message: string, details?: Record<string, JsonValue>): Checked => ({
    ok: false,
    outcome: failOutcome(code, `${where}: ${message}`, details),
  });
  if (!Array.isArray(value)) {
    return fail(
      'PLAN_TASKS_INVALID',
      `tasks must evaluate to a list of { id, needs }, but got ${describeJsonType(value)}`,
    );
  }
  if (value.length > MAX_PLAN_TASKS) {
    return fail('PLAN_TOO_MANY_TASKS', `the plan has ${value.length} tasks; the limit is ${MAX_PLAN_TASKS}`, {
      count: value.length,
      limit: MAX_PLAN_TASKS,
    });
  }
  const tasks: PlanTask[] = [];
  const seen = new Set<string>();
  for (const [index, raw] of value.entries()) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return fail(
        'PLAN_TASKS_INVALID',
        `task ${index} must be an object { id, needs }, but is ${describeJsonType(raw)}`,
      );
    }
    const { id, needs } = raw as { id?: unknown; needs?: unknown };
    if (!isId(id)) {
      return fail(
        'PLAN_TASKS_INVALID',
        `task ${index} needs an "id" (a non-empty string or a number), got ${describeJsonType(id)}`,
      );
    }
    const key = String(id);
    if (seen.has(key)) return fail('PLAN_DUPLICATE_TASK', `two tasks have the id "${key}"`, { task: key });
    seen.add(key);
    if (needs !== undefined && needs !== null && !(Array.isArray(needs) && needs.every(isId))) {
      return fail(
        'PLAN_TASKS_INVALID',
        `task "${key}": "needs" must be a list of task ids, got ${describeJsonType(needs)}`,
      );
    }
    const deps = [...new Set(((needs as unknown[] | null | undefined) ?? []).map(String))];
    tasks.push({ id: key, needs: deps, value: raw as JsonValue });
  }
  for (const task of tasks) {
    const unknown = task.needs.find((dep) => !seen.has(dep));
    if (unknown !== undefined) {
      return fail(
        'PLAN_UNKNOWN_DEPENDENCY',
        `task "${task.id}" needs "${unknown}", which is not a task of the plan`,
        {
          task: task.id,
          needs: unknown,
          tasks: [...seen],
        },
      );
    }
  }
  const cycle = findCycle(tasks);
  if (cycle) {
    return fail('PLAN_CYCLE', `the tasks' dependencies form a cycle: ${cycle.join(' → ')}`, { cycle });
  }
  return { ok: true, tasks };
}

function isId(value: unknown): value is string | number {
  return (
    (typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value))
  );
}

/** A dependency cycle as a path that ends where it starts, or undefined. */
function findCycle(tasks: readonly PlanTask[]): string[] | undefined {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of byId.get(id)?.needs ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const task of tasks) {
    const found = visit(task.id);
    if (found) return found;
  }
  return undefined;
}

/** Task ids by wave: a task's wave is one more than the latest wave among its dependencies. */
function waves(tasks: readonly PlanTask[]): JsonValue {
  const wave = new Map<string, number>();
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const waveOf = (id: string): number => {
    const known = wave.get(id);
    if (known !== undefined) return known;
    const deps = byId.get(id)?.needs ?? [];
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(waveOf));
    wave.set(id, value);
    return value;
  };
  const result: string[][] = [];
  for (const task of tasks) {
    const index = waveOf(task.id);
    result[index] = [...(result[index] ?? []), task.id];
  }
  return result;
}
