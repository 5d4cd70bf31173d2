/** `npm run docs`: regenerates the reference docs that are derived from code. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorCodesMarkdown, fieldsMarkdown } from '@pra-pipeline/shared';
import { configurationMarkdown } from '../src/config-reference.js';

const docs = (name: string) => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));
writeFileSync(docs('configuration.md'), configurationMarkdown());
writeFileSync(docs('fields.md'), fieldsMarkdown());
writeFileSync(docs('errors.md'), errorCodesMarkdown());
console.log('Wrote docs/configuration.md, docs/fields.md and docs/errors.md.');
