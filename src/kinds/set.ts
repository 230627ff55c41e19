// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/** `set: <template>` completes at once with the evaluated value (transform data without a worker). */
import { asJson } from './shared.ts';
import type { SchemaKit, StepKind } from './types.ts';

export const setKind: StepKind<unknown> = {
  key: 'set',
  description: 'Completes immediately with the evaluated value; use it to reshape or combine data.',

  schema(kit: SchemaKit) {
    return kit.template.describe(
      'Any JSON value; strings may hold ${{ }} templates. It becomes the step output.',
    );
  },

  start(ctx) {
    return { type: 'complete', output: asJson(ctx.evaluate(ctx.config)) };
  },
};
