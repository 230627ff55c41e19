// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * The `secrets:` section: the names of the secrets a workflow uses, as a list or as a map of
 * name → description. Declaring them lets the loader catch a misspelt `secrets.NAME` before a
 * run starts, and tells an operator what to put in the environment or the vault.
 */
import { z } from 'zod';
import { RESERVED_NAMES } from './schemas.ts';

/** What a secret may be called: an environment-variable-like name (a `-` needs `secrets['a-b']`). */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const secretName = z
  .string()
  .regex(SECRET_NAME, {
    error: 'a secret name must start with a letter or "_" and contain only letters, digits, "_" and "-"',
  })
  .refine((name) => !RESERVED_NAMES.has(name), { error: 'this name is reserved; choose another' })
  .describe('Name of a secret, as the secrets provider (by default the environment) knows it.');

export const secretsSectionSchema = z
  .union([
    z
      .array(secretName)
      .superRefine((names, ctx) => {
        names.forEach((name, index) => {
          if (names.indexOf(name) !== index)
            ctx.addIssue({ code: 'custom', path: [index], message: `secret "${name}" is declared twice` });
        });
      })
      .describe('The names of the secrets.'),
    z
      .record(secretName, z.union([z.string(), z.null()]).describe('What the secret is for.'))
      .describe('The secrets by name, each with a description.'),
  ])
  .describe(
    'Secrets the workflow reads as ${{ secrets.NAME }}: a list of names, or a map of name to description. ' +
      'Values come from the engine’s secrets provider (default: the worker’s environment) when a request is sent, ' +
      'and are never stored.',
  );

/** The names a `secrets:` section declares (none when it is absent or malformed). */
export function secretNames(section: unknown): string[] {
  if (Array.isArray(section)) return section.filter((name): name is string => typeof name === 'string');
  if (section !== null && typeof section === 'object') return Object.keys(section);
  return [];
}
