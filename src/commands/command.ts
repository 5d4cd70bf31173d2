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
