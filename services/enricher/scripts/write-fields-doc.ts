/** Writes docs/fields.md from the field definitions. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fieldsMarkdown } from '../src/schema-gen.js';

const target = fileURLToPath(new URL('../../../docs/fields.md', import.meta.url));
writeFileSync(target, fieldsMarkdown());
console.log(`Wrote ${target}`);
