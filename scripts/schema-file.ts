/**
 * The enricher's document schema as a file, for whoever registers schemas
 * centrally (SCHEMA_AUTO_REGISTER=false; docs/consuming.md, "Schema policy").
 * test/unit/schema-file.test.ts fails when the file and the
 * field definitions drift apart.
 *
 *   npm run schema      writes schemas/pra.ecs.access-session.v1.json
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { documentJsonSchema } from '@pra-pipeline/shared';

export const SCHEMA_FILE = 'schemas/pra.ecs.access-session.v1.json';
export const schemaFilePath = fileURLToPath(new URL(`../${SCHEMA_FILE}`, import.meta.url));

/** The file's text: the schema the enricher registers, indented, with a final newline. */
export function schemaFileText(): string {
  return `${JSON.stringify(documentJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(schemaFilePath, schemaFileText());
  console.log(`Wrote ${SCHEMA_FILE}.`);
}
