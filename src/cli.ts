/**
 * `pra-pipeline <command>`: one binary for every part of the pipeline.
 * Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.
 */
import { ConfigError } from '@pra-pipeline/shared';
import { commands } from './commands/index.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: pra-pipeline <command> [options]',
    '',
    'BeyondTrust PRA access-session events into Kafka and Elasticsearch.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `pra-pipeline <command> --help` for a command\'s options and variables.',
    'Configuration comes from environment variables (see docs/configuration.md).',
    'Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.',
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${usage()}`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return EXIT_OK;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${command.help}`);
      return EXIT_USAGE;
    }
    console.error(`pra-pipeline ${name} failed: ${(err as Error).stack ?? String(err)}`);
    return EXIT_FAILURE;
  }
}

export class UsageError extends Error {
  override name = 'UsageError';
}

