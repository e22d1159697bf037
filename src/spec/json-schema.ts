// The spec's JSON Schema, generated from the zod schemas that validate it (z.toJSONSchema), as users write
// it: durations and the traffic plan in their input forms, defaults as written. Committed as
// schema/switchyard-spec.schema.json for editors (the examples' yaml-language-server modeline), with the
// README's field reference generated from it; test/unit/spec-json-schema.test.ts keeps both in step
// (`node scripts/spec-schema.js --write` after `npm run build` regenerates them).
import { z } from 'zod';
import { blueGreenSpecSchema, codeDeploySpecSchema, rollingSpecSchema } from './schema';
import { trafficInputForms, trafficSchema } from './traffic';

export const specSchemaPath = 'schema/switchyard-spec.schema.json';

type JsonSchema = Record<string, unknown>;

export function specJsonSchema(): JsonSchema {
  const toJson = (schema: z.ZodType, override?: (ctx: { zodSchema: unknown; jsonSchema: JsonSchema }) => void) =>
    z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', override }) as JsonSchema;
  // trafficSchema reads its forms by hand (for its messages): the schema says them as a union.
  const traffic = toJson(trafficInputForms);
  delete traffic.$schema;
  const spec = toJson(
    z.union([blueGreenSpecSchema, rollingSpecSchema, codeDeploySpecSchema]).meta({
      title: 'Switchyard deployment spec',
      description:
        'A blue/green (strategy absent or blueGreen), rolling (strategy: rolling) or CodeDeploy (strategy: codeDeploy) deployment of one ECS service',
    }),
    (ctx) => {
      if (ctx.zodSchema === trafficSchema) Object.assign(ctx.jsonSchema, traffic, { default: 'allAtOnce' });
    },
  );
  return spec;
}

interface Row {
  field: string;
  type: string;
  notes: string;
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return (s.anyOf as JsonSchema[]).map(typeOf).join(' \\| ');
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  if (s.type === 'array') return `${typeOf((s.items as JsonSchema) ?? {})}[]`;
  return typeof s.type === 'string' ? s.type : 'any';
}

function notesOf(s: JsonSchema, required: boolean): string {
  const notes: string[] = [];
  if (required) notes.push('required');
  if (s.default !== undefined) notes.push(`default ${JSON.stringify(s.default)}`);
  if (typeof s.description === 'string') notes.push(s.description);
  else if (s.pattern && s.type === 'string') notes.push(`matches \`${String(s.pattern)}\``);
  for (const [key, word] of [
    ['minimum', 'min'],
    ['maximum', 'max'],
    ['minLength', 'min length'],
    ['maxLength', 'max length'],
    ['minItems', 'min items'],
    ['maxItems', 'max items'],
  ] as const)
    if (typeof s[key] === 'number' && !s.description && Math.abs(s[key] as number) < Number.MAX_SAFE_INTEGER)
      notes.push(`${word} ${s[key] as number}`);
  return notes.join('; ').replace(/\|/g, '\\|');
}

/**
 * Every field of one form, depth first, as `a.b.c`, a list's items as `a[].b`; the fields of a union's
 * object forms under the form's name (`traffic.(canary) percent`) unless the form is its only field.
 */
function rows(s: JsonSchema, prefix: string, required: boolean, out: Row[]): void {
  if (prefix) out.push({ field: `\`${prefix}\``, type: typeOf(s), notes: notesOf(s, required) });
  const base = s.type === 'array' && s.items ? (s.items as JsonSchema) : s;
  const at = base === s ? prefix : `${prefix}[]`;
  const forms = ((base.anyOf as JsonSchema[] | undefined) ?? []).filter((o) => o.type === 'object');
  for (const o of [base, ...forms]) {
    const props = (o.properties ?? {}) as Record<string, JsonSchema>;
    const needed = new Set((o.required as string[] | undefined) ?? []);
    const keys = Object.keys(props);
    const form = o === base || keys.length === 1 ? '' : `(${String(props.type?.const ?? keys.join('/'))}) `;
    for (const [key, value] of Object.entries(props)) {
      if (form && key === 'type') continue;
      rows(value, `${at}${at ? '.' : ''}${form}${key}`, needed.has(key), out);
    }
  }
}

/** Where the field reference goes in the README. */
export const fieldReferenceMarkers = ['<!-- spec-fields:start -->', '<!-- spec-fields:end -->'] as const;

/** The README with its field reference replaced by this one. */
export function withFieldReference(readme: string, reference = fieldReference()): string {
  const [start, end] = fieldReferenceMarkers;
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`the README has no ${start} … ${end} section`);
  return `${readme.slice(0, from + start.length)}\n${reference}\n${readme.slice(to)}`;
}

/** The README's field reference: one table per strategy, from the JSON Schema. */
export function fieldReference(schema: JsonSchema = specJsonSchema()): string {
  const [blueGreen, rolling, codeDeploy] = schema.anyOf as JsonSchema[];
  const table = (form: JsonSchema) => {
    const out: Row[] = [];
    rows(form, '', false, out);
    return ['| field | type | notes |', '|---|---|---|', ...out.map((r) => `| ${r.field} | ${r.type} | ${r.notes} |`)];
  };
  return [
    `Generated from the zod schemas (\`src/spec/json-schema.ts\`), as is \`${specSchemaPath}\`.`,
    '',
    '**Blue/green** (`strategy` absent or `blueGreen`):',
    '',
    ...table(blueGreen),
    '',
    '**Rolling** (`strategy: rolling`):',
    '',
    ...table(rolling),
    '',
    '**CodeDeploy** (`strategy: codeDeploy`):',
    '',
    ...table(codeDeploy),
  ].join('\n');
}
