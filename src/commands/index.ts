import type { Command } from './command.js';
import { enricherCommand } from './enricher.js';
import { mapCommand } from './map.js';
import { pollerCommand } from './poller.js';
import { simulatorCommand } from './simulator.js';
import { sinkCommand } from './sink.js';

/** Every subcommand, in the order `--help` lists them. */
export const commands: Command[] = [pollerCommand, enricherCommand, mapCommand, sinkCommand, simulatorCommand];
