/** `pra-pipeline enricher`: raw session XML to ECS documents with GeoIP. */
import { enricherSchema, runEnricher } from '@pra-pipeline/enricher';
import { printError, serviceCommand } from './service-command.js';

export const enricherCommand = serviceCommand({
  name: 'enricher',
  summary: 'Turn raw session XML into ECS documents with GeoIP, on a registered topic.',
  description: [
    'Consumes raw AccessSession records (read committed), writes one ECS document per event',
    'to the enriched topic in Confluent wire format with its JSON Schema registered as',
    '<topic>-value (BACKWARD), and commits input offsets only after the outputs are acknowledged.',
    'Input that cannot be processed goes to the dead letter topic with the reason in its headers.',
  ],
  schema: enricherSchema,
  run: (env) => runEnricher({ env, printError }),
});
