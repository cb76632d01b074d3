import { Router } from 'express';
import { z } from 'zod';
import { STRATEGIES } from '../../fusion/registry.js';
import { LOSSES } from '../../losses/registry.js';
import { PRESETS } from '../../train/presets.js';
import { RunConfigSchema } from '../../train/runConfig.js';

/** JSON Schema of a plugin's options as a client writes them (defaults shown, optional where defaulted). */
const schemaOf = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });

/** Built once: the registries do not change while the server runs. */
function pluginsView() {
  const { dataset: _dataset, ...defaults } = RunConfigSchema.parse({ dataset: '-' });
  return {
    losses: Object.entries(LOSSES).map(([name, p]) => ({ name, help: p.help, docs: `docs/${p.docs}`, role: p.role, options: schemaOf(p.options) })),
    strategies: Object.entries(STRATEGIES).map(([name, p]) => ({ name, help: p.help, docs: `docs/${p.docs}`, capabilities: p.capabilities, options: schemaOf(p.options) })),
    presets: Object.entries(PRESETS).map(([name, p]) => ({ name, help: p.help, docs: `docs/${p.docs}`, config: p.config })),
    defaults,
  };
}

/**
 * GET /api/plugins: every loss and fusion strategy with its one-line help and options schema, the
 * run-config presets, and the default run config (without a dataset): the launch form is built from it.
 */
export function pluginsRouter(): Router {
  const r = Router();
  const view = pluginsView();
  r.get('/', (_req, res) => {
    res.json(view);
  });
  return r;
}
