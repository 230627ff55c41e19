/**
 * DBOS Transact's side of the PostgreSQL comparison: its configuration and the workflows
 * every DBOS process of the benchmark registers (the same code everywhere, so every
 * process computes the same application version and may run every workflow).
 *
 * DBOS runs with its defaults — step outputs checkpointed in its system database before
 * the workflow goes on, queues polled every second at least — except `logLevel: 'warn'`
 * (its `info` lines would go to stdout, which carries the benchmark's timestamps) and an
 * executor id per worker process, which DBOS needs to tell processes apart when it
 * recovers their workflows.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { wallNow } from '../pg/plan.ts';

export const APP_NAME = 'baton_bench';
export const QUEUE = 'bench';

export interface DbosSetup {
  url: string;
  schema: string;
  executorID?: string;
}

export function configureDbos(setup: DbosSetup): void {
  DBOS.setConfig({
    name: APP_NAME,
    systemDatabaseUrl: setup.url,
    systemDatabaseSchemaName: setup.schema,
    logLevel: 'warn',
    ...(setup.executorID ? { executorID: setup.executorID } : {}),
  });
}

export interface BenchHooks {
  /** Called when a `chain` step's body starts. */
  onChainStep?: () => void;
  /** How long an `io_chain` step waits. */
  ioMs?: number;
}

/** Registers the benchmark's workflows (before `DBOS.launch()`); returns the callable ones. */
export function registerBenchWorkflows(hooks: BenchHooks = {}) {
  const noop = async () => {
    hooks.onChainStep?.();
    return null;
  };
  const chain = DBOS.registerWorkflow(
    async (steps: number) => {
      for (let i = 0; i < steps; i++) await DBOS.runStep(noop, { name: 'noop' });
    },
    { name: 'chain' },
  );
  DBOS.registerWorkflow(
    async () => {
      const id = DBOS.workflowID;
      await DBOS.runStep(
        async () => {
          process.stdout.write(`T ${id} ${wallNow()}\n`);
          return null;
        },
        { name: 'first' },
      );
    },
    { name: 'first' },
  );
  const ioMs = hooks.ioMs ?? 10;
  DBOS.registerWorkflow(
    async (steps: number) => {
      for (let i = 0; i < steps; i++)
        await DBOS.runStep(
          async () => {
            await sleep(ioMs);
            return null;
          },
          { name: 'io' },
        );
    },
    { name: 'io_chain' },
  );
  return { chain };
}
