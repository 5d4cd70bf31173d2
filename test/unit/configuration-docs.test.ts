import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describeSchema } from '@pra-pipeline/shared';
import { CONFIG_SECTIONS, configurationMarkdown } from '../../src/config-reference.js';

const path = new URL('../../docs/configuration.md', import.meta.url);

test('docs/configuration.md is generated from the schemas and up to date (npm run docs)', () => {
  assert.equal(readFileSync(path, 'utf8'), configurationMarkdown());
});

test('every variable of every schema is in the reference with its default', () => {
  const text = readFileSync(path, 'utf8');
  for (const section of CONFIG_SECTIONS) {
    for (const row of describeSchema(section.schema)) {
      assert.ok(text.includes(`| \`${row.name}\` |`), `${row.name} (${section.title}) is missing`);
      if (!row.required && row.default !== '') assert.ok(text.includes(`\`${row.default}\``), `${row.name}'s default ${row.default} is missing`);
    }
  }
});
