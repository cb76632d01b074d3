/**
 * Launch-form fields for a plug-in's options, from the JSON Schema GET /api/plugins serves for it (the
 * registry's zod schema): numbers with their bounds, booleans, enumerations and lists of numbers, one
 * level of nesting (the strategies' common `controls`). Records and deeper objects are left to a run
 * config file; the form's help lists them. Pure: the page turns the specs into inputs.
 */

/** The part of a JSON Schema this reads. */
export interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
}

export interface OptionField {
  /** Option path below the plug-in's options, e.g. ['controls', 'minWeight']. */
  path: string[];
  kind: 'number' | 'boolean' | 'choice' | 'numbers';
  help: string;
  /** The value shown first: the run defaults' where given, else the schema's default; undefined: empty. */
  initial: number | boolean | string | number[] | undefined;
  /** The schema's own default: a value equal to it is left out of the collected options. */
  schemaDefault: unknown;
  choices?: string[];
  min?: number;
  max?: number;
}

function fieldOf(path: string[], s: JsonSchema, initial: unknown): OptionField | null {
  const common = { path, help: s.description ?? '', schemaDefault: s.default };
  const value = initial !== undefined ? initial : s.default;
  if (s.type === 'number' || s.type === 'integer') return { ...common, kind: 'number', initial: typeof value === 'number' ? value : undefined, min: s.minimum ?? s.exclusiveMinimum, max: s.maximum ?? s.exclusiveMaximum };
  if (s.type === 'boolean') return { ...common, kind: 'boolean', initial: typeof value === 'boolean' ? value : false };
  if (s.type === 'string' && s.enum) return { ...common, kind: 'choice', initial: typeof value === 'string' ? value : undefined, choices: s.enum.map(String) };
  if (s.type === 'array' && (s.items?.type === 'number' || s.items?.type === 'integer')) return { ...common, kind: 'numbers', initial: Array.isArray(value) ? (value as number[]) : undefined };
  return null;
}

/** The fields of an options schema, prefilled from `initial` (e.g. the default run config's options for this plug-in). */
export function optionFields(schema: JsonSchema, initial: Record<string, unknown> = {}): OptionField[] {
  const fields: OptionField[] = [];
  for (const [name, s] of Object.entries(schema.properties ?? {})) {
    if (s.type === 'object' && s.properties) {
      const nested = (initial[name] ?? {}) as Record<string, unknown>;
      for (const [inner, t] of Object.entries(s.properties)) {
        const f = fieldOf([name, inner], t, nested[inner]);
        if (f) fields.push(f);
      }
    } else {
      const f = fieldOf([name], s, initial[name]);
      if (f) fields.push(f);
    }
  }
  return fields;
}

/**
 * The options object from the fields' entered texts (as an input holds them; booleans as 'true'/'false'),
 * in the registry's shape, holding only what differs from the schema's defaults: a run's stored config
 * records what was chosen, and runs of different strategies compare on what differs. Empty numbers and
 * lists are left out too; a text that is not a number is passed on as it is, and the API names the
 * field in its answer.
 */
export function collectOptions(fields: OptionField[], texts: string[]): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  fields.forEach((f, i) => {
    const text = texts[i].trim();
    let value: unknown;
    if (f.kind === 'boolean') value = text === 'true';
    else if (f.kind === 'choice') value = text;
    else if (text === '') return;
    else if (f.kind === 'number') value = Number.isFinite(Number(text)) ? Number(text) : text;
    else value = text.split(/[\s,]+/).map((t) => (Number.isFinite(Number(t)) ? Number(t) : t));
    if (JSON.stringify(value) === JSON.stringify(f.schemaDefault)) return;
    let target = options;
    for (const key of f.path.slice(0, -1)) {
      target[key] ??= {};
      target = target[key] as Record<string, unknown>;
    }
    target[f.path[f.path.length - 1]] = value;
  });
  return options;
}
