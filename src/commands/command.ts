/** What every `pra-pipeline` subcommand provides. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The whole `--help` text: usage, flags, variables. */
  help: string;
  /** Resolves with the exit code. */
  run(args: readonly string[]): Promise<number>;
}

/** Wrong arguments: the CLI prints the message with the command's help and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
