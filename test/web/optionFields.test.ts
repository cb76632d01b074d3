import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { FocalOptionsSchema } from '../../src/losses/focal.js';
import { GradNormSchema } from '../../src/fusion/gradnorm.js';
import { collectOptions, optionFields, type JsonSchema } from '../../src/web/optionFields.js';

const json = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

describe('launch-form fields from a plug-in options schema', () => {
  it("turns numbers, booleans, choices, number lists and one nested level into fields, prefilled from the run's defaults, else the schema's", () => {
    const fields = optionFields(json(GradNormSchema), { alpha: 0.5 });
    const byPath = new Map(fields.map((f) => [f.path.join('.'), f]));
    assert.deepEqual(byPath.get('alpha'), { path: ['alpha'], kind: 'number', help: byPath.get('alpha')?.help, initial: 0.5, schemaDefault: 1.5, min: 0, max: undefined });
    assert.equal(byPath.get('learningRate')?.initial, 0.025);
    assert.equal(byPath.get('learningRate')?.min, 0, 'an exclusive minimum is shown as the bound');
    assert.equal(byPath.get('controls.normalize')?.kind, 'boolean');
    assert.equal(byPath.get('controls.normalize')?.initial, true);
    assert.equal(byPath.get('controls.maxWeight')?.initial, 10);
    assert.match(byPath.get('alpha')?.help ?? '', /Restoring force/);
    const focal = optionFields(json(FocalOptionsSchema));
    assert.deepEqual(
      focal.map((f) => [f.path.join('.'), f.kind, f.initial]),
      [
        ['gamma', 'number', 2],
        ['alpha', 'numbers', undefined],
      ],
    );
  });

  it('leaves out what a form cannot hold (records, deeper objects, free strings)', () => {
    const schema = json(z.strictObject({ targets: z.record(z.string(), z.number()), deep: z.strictObject({ a: z.strictObject({ b: z.number() }) }), note: z.string(), n: z.number() }));
    assert.deepEqual(
      optionFields(schema).map((f) => f.path.join('.')),
      ['n'],
    );
  });

  it("collects the entered texts into the options shape, leaving out the schema's defaults and empty fields; a non-number goes on for the API to name", () => {
    const fields = optionFields(json(GradNormSchema));
    const texts = fields.map((f) =>
      f.path.join('.') === 'alpha' ? ' 2.5 ' : f.path.join('.') === 'learningRate' ? '' : f.path.join('.') === 'controls.normalize' ? 'false' : f.path.join('.') === 'controls.minWeight' ? 'abc' : String(f.initial),
    );
    const options = collectOptions(fields, texts);
    assert.equal(options.alpha, 2.5);
    assert.equal('learningRate' in options, false);
    assert.deepEqual((options.controls as Record<string, unknown>).normalize, false);
    assert.equal((options.controls as Record<string, unknown>).minWeight, 'abc');
    assert.equal(GradNormSchema.safeParse(options).success, false, 'the API refuses the non-number');
    const focal = optionFields(json(FocalOptionsSchema));
    assert.deepEqual(collectOptions(focal, ['3', '0.25, 1 0.5']), { gamma: 3, alpha: [0.25, 1, 0.5] });
    // gamma 2 is the schema's default: a run config without it means the same.
    assert.deepEqual(collectOptions(focal, ['2', '']), {});
    const untouched = collectOptions(
      fields,
      fields.map((f) => (Array.isArray(f.initial) ? f.initial.join(',') : f.initial === undefined ? '' : String(f.initial))),
    );
    assert.deepEqual(untouched, {}, 'an untouched form sends no options');
  });
});
