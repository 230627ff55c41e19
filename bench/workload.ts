/**
 * Runs one workload in this process and prints its result as one `RESULT {json}` line.
 * bench/run.ts spawns this file once per workload (with --expose-gc) so that every
 * workload starts cold and its memory readings are its own.
 *
 *   node --expose-gc bench/workload.ts <name> [--quick]
 */
import { plan } from './workloads.ts';

const [name, ...flags] = process.argv.slice(2);
const workload = plan(flags.includes('--quick')).find((w) => w.name === name);
if (!workload) {
  process.stderr.write(
    `unknown workload "${name}"; known: ${plan(false)
      .map((w) => w.name)
      .join(', ')}\n`,
  );
  process.exit(2);
}
const result = await workload.run();
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
