/** A long-running service as a subcommand: its help lists the service's variables from its schema. */
import { describeSchema, type Schema } from '@pra-pipeline/shared';
import { UsageError, type Command } from './command.js';
import { printable } from '../printable.js';


/** Prints a service's configuration error scrubbed, as the CLI prints every failure. */
export const printError = (text: string): void => console.error(printable(text));

export function variablesHelp(schema: Schema): string[] {
  return describeSchema(schema).map(
    (row) =>
      `  ${row.name}${row.required ? ' (required)' : row.default ? ` (default ${row.default})` : ''}${row.secret ? ' [secret]' : ''}\n      ${row.doc}`,
  );
}

export function serviceCommand(options: {
  name: string;
  summary: string;
  description: readonly string[];
  schema: Schema;
  run: (env: Record<string, string | undefined>) => Promise<number>;
}): Command {
  return {
    name: options.name,
    summary: options.summary,
    get help() {
      return [
        `Usage: pra-pipeline ${options.name}`,
        '',
        ...options.description,
        'Configuration comes from the environment; every variable can also be read from a file: NAME_FILE=/path.',
        'Operations endpoint: GET /livez, /readyz, /metrics on HTTP_HOST:HTTP_PORT.',
        '',
        'Variables:',
        ...variablesHelp(options.schema),
      ].join('\n');
    },
    async run(args) {
      if (args.length > 0) throw new UsageError(`pra-pipeline ${options.name} takes no arguments (got ${args.join(' ')}).`);
      return options.run(process.env);
    },
  };
}
