import type { z } from 'zod';

/**
 * Validates a plug-in's options (a loss's or a strategy's, from its registry) inside a run-config
 * refinement, each issue reported at its path under "options", so the error names e.g.
 * `fusion.options.alpha` or `losses.1.options.gamma`.
 */
export function checkPluginOptions(schema: z.ZodType, options: unknown, ctx: z.RefinementCtx): void {
  const r = schema.safeParse(options);
  if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: ['options', ...i.path], message: i.message });
}
