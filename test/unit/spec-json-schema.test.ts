// The spec's JSON Schema (schema/switchyard-spec.schema.json) and the README's field reference are what
// src/spec/json-schema.ts generates from the zod schemas now; the examples name the schema and it accepts
// them; and over the bad-input corpus, the schema (checked by Ajv, as editors check it) and `loadSpec`
// (the zod validation and the checks beyond one document) accept and refuse alike, but for the listed
// differences, each explained.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse, stringify } from 'yaml';
import { fieldReference, specJsonSchema, specSchemaPath, withFieldReference } from '../../src/spec/json-schema';
import { loadSpec } from '../../src/spec/load';
import { specs, valid } from '../support/bad-specs';

const root = path.resolve(__dirname, '..', '..');
const regenerate = 'run `npm run build && node scripts/spec-schema.js --write`';

/** Corpus cases the schema accepts though loadSpec refuses them, and why the schema cannot say so. */
const beyondTheSchema: Record<string, string> = {
  'a duration over its limit':
    'a duration written as text ("3h") is bounded by the validation only; as a number of seconds, the schema bounds it too',
  'a host outside the zone': 'one field checked against another (hosts inside hostedZone)',
  'the same host for stage and production': 'one field checked against another',
  'a container the task definition lacks': 'one field checked against another (container.name in the task definition)',
  'no image anywhere': 'the image may come from the task definition or --image: only loadSpec sees all three',
  'a missing task definition file': 'the file system: the schema sees a path',
  'weights going down': 'each step checked against the steps before it',
  'an analysis interval longer than its window': 'one field checked against another',
  'a plan of 199 steps': 'the plan a linear form expands to, counted after normalization',
  'a plaintext secret in the environment': 'a heuristic over names and values (looks like a secret)',
};

/**
 * Cases with no document for the schema: text that is not UTF-8, and an alias bomb, which the CLI refuses
 * before expanding it (expanded, it is billions of nodes).
 */
const notADocument = new Set(['text that is not UTF-8', 'a YAML alias bomb']);

describe('the spec JSON Schema', () => {
  const schema = specJsonSchema();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const check = ajv.compile(schema);
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-schema-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`is committed as generated (${specSchemaPath}), and so is the README's field reference`, () => {
    const committed = fs.readFileSync(path.join(root, specSchemaPath), 'utf8');
    expect({ committed: JSON.parse(committed), regenerate }).toEqual({ committed: schema, regenerate });
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain(fieldReference(schema));
    expect(withFieldReference(readme)).toBe(readme);
  });

  it('the examples name it in their yaml-language-server modeline, and it accepts them as loadSpec does', () => {
    for (const example of ['examples/demo/spec.yaml', 'examples/terraform/switchyard.yaml']) {
      const text = fs.readFileSync(path.join(root, example), 'utf8');
      const modeline = /^# yaml-language-server: \$schema=(.+)$/m.exec(text)?.[1];
      expect({
        example,
        schema: modeline && path.relative(root, path.resolve(root, path.dirname(example), modeline)),
      }).toEqual({
        example,
        schema: specSchemaPath,
      });
      expect({ example, errors: check(parse(text)) ? [] : check.errors }).toEqual({ example, errors: [] });
    }
    const file = path.join(dir, 'valid.yaml');
    fs.writeFileSync(file, stringify(valid));
    expect(() => loadSpec(file)).not.toThrow();
    expect(check(valid)).toBe(true);
  });

  it('describes durations and the traffic plan as they are written: their input forms, not what they become', () => {
    const accepts = (patch: object) => check({ ...valid, ...patch });
    expect(accepts({ drain: '1h30m' })).toBe(true);
    expect(accepts({ drain: 90 })).toBe(true);
    expect(accepts({ drain: '5 minutes' })).toBe(false);
    // timeouts.steady: at most 2h, which a number of seconds can be held to.
    expect(accepts({ timeouts: { steady: 7200 } })).toBe(true);
    expect(accepts({ timeouts: { steady: 7201 } })).toBe(false);
    expect(accepts({ traffic: 'canary10Percent5Minutes' })).toBe(true);
    expect(accepts({ traffic: { type: 'canary', percent: 10, bake: '5m' } })).toBe(true);
    expect(accepts({ traffic: { type: 'canary', percent: 10 } })).toBe(false);
    expect(accepts({ traffic: { type: 'steps', steps: [{ setWeight: 10 }, { pause: 'indefinite' }] } })).toBe(true);
    expect(accepts({ traffic: { type: 'steps', steps: [{ setWeight: 10, pause: '1m' }] } })).toBe(false);
  });

  it.each(specs.map(([name, doc]) => [name, doc] as const))('the corpus: %s', (name, doc) => {
    const file = path.join(dir, 'spec.yaml');
    fs.writeFileSync(file, typeof doc === 'string' || Buffer.isBuffer(doc) ? doc : stringify(doc));
    let zodRefuses = false;
    try {
      loadSpec(file);
    } catch {
      zodRefuses = true;
    }
    expect(zodRefuses).toBe(true);
    if (notADocument.has(name)) return;
    const document: unknown =
      typeof doc === 'string' ? parse(doc, { uniqueKeys: false }) : Buffer.isBuffer(doc) ? undefined : doc;
    // The YAML the CLI reads leaves out undefined fields, as the schema's document must.
    const schemaRefuses = !check(JSON.parse(JSON.stringify(document ?? null)));
    expect({ name, schemaRefuses, why: beyondTheSchema[name] }).toEqual({
      name,
      schemaRefuses: beyondTheSchema[name] === undefined,
      why: beyondTheSchema[name],
    });
  });
});
