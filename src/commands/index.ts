import type { Command } from './command.js';
import { checkCommand } from './check.js';
import { dlqCommand } from './dlq.js';
import { enricherCommand } from './enricher.js';
import { kibanaSetupCommand } from './kibana-setup.js';
import { mapCommand } from './map.js';
import { pollerCommand } from './poller.js';
import { simulatorCommand } from './simulator.js';
import { sinkCommand } from './sink.js';
import { startCommand } from './start.js';

/** Every subcommand, in the order `--help` lists them. */
export const commands: Command[] = [startCommand, pollerCommand, enricherCommand, sinkCommand, simulatorCommand, mapCommand, checkCommand, dlqCommand, kibanaSetupCommand];
