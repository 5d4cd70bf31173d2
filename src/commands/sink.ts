/** `pra-pipeline sink`: enriched documents from Kafka into Elasticsearch data streams. */
import { runSink, sinkSchema } from '@pra-pipeline/sink';
import { printError, serviceCommand } from './service-command.js';

export const sinkCommand = serviceCommand({
  name: 'sink',
  summary: 'Index enriched documents into Elasticsearch data streams.',
  description: [
    'Reads ECS documents from the enriched topic and indexes them into the data streams',
    'logs-beyondtrust_pra.access_session-<namespace> with _bulk create and _id = event.id.',
    'Offsets are committed only for documents that are indexed or dead-lettered.',
  ],
  schema: sinkSchema,
  run: (env) => runSink({ env, printError }),
});
