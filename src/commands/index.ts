import type { Command } from './command.js';
import { simulatorCommand } from './simulator.js';
import { sinkCommand } from './sink.js';

/** Every subcommand, in the order `--help` lists them. */
export const commands: Command[] = [sinkCommand, simulatorCommand];
