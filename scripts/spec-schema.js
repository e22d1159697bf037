#!/usr/bin/env node
// The spec's JSON Schema and the README's field reference, generated from the zod schemas
// (src/spec/json-schema.ts, built into dist/): `node scripts/spec-schema.js` prints the schema;
// `--write` updates schema/switchyard-spec.schema.json and the README's field reference, which
// test/unit/spec-json-schema.test.ts keeps in step with the code. Run `npm run build` first.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { specJsonSchema, specSchemaPath, withFieldReference } = require(path.join(root, 'dist/spec/json-schema.js'));

const text = `${JSON.stringify(specJsonSchema(), null, 2)}\n`;
if (process.argv.includes('--write')) {
  fs.mkdirSync(path.dirname(path.join(root, specSchemaPath)), { recursive: true });
  fs.writeFileSync(path.join(root, specSchemaPath), text);
  const readme = path.join(root, 'README.md');
  fs.writeFileSync(readme, withFieldReference(fs.readFileSync(readme, 'utf8')));
  console.log(`wrote ${specSchemaPath} and the README's field reference`);
} else process.stdout.write(text);
