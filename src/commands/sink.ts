/** `pra-pipeline sink`: enriched documents from Kafka into Elasticsearch data streams. */
import { describeSchema } from '@pra-pipeline/shared';
import { runSink, sinkSchema } from '@pra-pipeline/sink';
import { UsageError } from '../cli.js';
import type { Command } from './command.js';

function help(): string {
  const rows = describeSchema(sinkSchema).map(
    (row) => `  ${row.name}${row.required ? ' (required)' : row.default ? ` (default ${row.default})` : ''}\n      ${row.doc}`,
  );
  return [
    'Usage: pra-pipeline sink',
    '',
    'Reads ECS documents from the enriched topic and indexes them into the data streams',
    'logs-beyondtrust_pra.access_session-<namespace> with _bulk create and _id = event.id.',
    'Offsets are committed only for documents that are indexed or dead-lettered.',
    'Every variable can also be read from a file: NAME_FILE=/path.',
    '',
    'Variables:',
    ...rows,
  ].join('\n');
}

export const sinkCommand: Command = {
  name: 'sink',
  summary: 'Index enriched documents into Elasticsearch data streams.',
  get help() {
    return help();
  },
  async run(args) {
    if (args.length > 0) throw new UsageError(`pra-pipeline sink takes no arguments (got ${args.join(' ')}).`);
    const code = await runSink(process.env);
    // Everything is closed by now; a stray handle must not keep a stopped service alive.
    setTimeout(() => process.exit(code), 2000).unref();
    return code;
  },
};
