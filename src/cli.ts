/**
 * `pra-pipeline <command>`: one binary for every part of the pipeline.
 * Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@pra-pipeline/shared';
import { UsageError } from './commands/command.js';
import { commands } from './commands/index.js';
import { printable } from './printable.js';
import { environmentSecrets } from './environment-secrets.js';

export { environmentSecrets };

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
    'Run `pra-pipeline help <command>` (or `<command> --help`) for a command\'s options and variables,',
    '`pra-pipeline --version` for the version.',
    'Configuration comes from environment variables (see docs/configuration.md).',
    'Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.',
  ].join('\n');
}


/** The version in the package.json beside the code (the repository's, or the image's /app/package.json). */
export function version(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pra-pipeline' && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
    if (dir.pathname === '/') return 'unknown';
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(`pra-pipeline ${version()}`);
    return EXIT_OK;
  }
  if (name === 'help' && rest.length > 0) {
    const wanted = commands.find((c) => c.name === rest[0]);
    if (!wanted) {
      console.error(`Unknown command "${rest[0]}".\n\n${usage()}`);
      return EXIT_USAGE;
    }
    console.log(wanted.help);
    return EXIT_OK;
  }
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
      console.error(printable(err.message));
      return EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      console.error(`${printable(err.message)}\n\n${command.help}`);
      return EXIT_USAGE;
    }
    // The last resort: whatever the error quotes (a server's answer, a URL) is scrubbed first.
    console.error(printable(`pra-pipeline ${name} failed: ${errorText(err)}`));
    return EXIT_FAILURE;
  }
}

/** The error's stack (or message), with its causes'. */
function errorText(err: unknown, depth = 0): string {
  if (!(err instanceof Error)) return String(err);
  const own = err.stack ?? `${err.name}: ${err.message}`;
  return err.cause !== undefined && depth < 5 ? `${own}\n  caused by: ${errorText(err.cause, depth + 1)}` : own;
}

