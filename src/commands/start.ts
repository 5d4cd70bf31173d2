/** `pra-pipeline start` (`npm start`): the whole pipeline in one process. */
import { parseArgs } from 'node:util';
import { runStart } from '../all-in-one/start.js';
import { startSchema } from '../all-in-one/config.js';
import { UsageError } from './command.js';
import type { Command } from './command.js';
import { variablesHelp } from './service-command.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'Run poller, enricher and sink in one process (embedded defaults for a first look).',
  get help() {
    return [
      'Usage: pra-pipeline start [--data-dir DIR]',
      '',
      'Runs the poller, the enricher and the sink in one process, with the same stage code as the',
      'separate services. Each embedded default is switched off by configuring the real thing:',
      '  no PRA_SITES / PRA_SITES_FILE / PRA_URL  -> an embedded PRA simulator is started and polled,',
      '                                             its ground truth written to DIR/simulator-ground-truth.ndjson',
      '  no KAFKA_BROKERS                         -> the stages are joined in process (cursors in DIR)',
      '  no ES_NODE / ES_CLOUD_ID                 -> ECS documents are appended to DIR/ecs-*.ndjson',
      '  no GEOIP_DIR                             -> small GeoIP databases for the simulator\'s addresses',
      '                                             are written to DIR/geoip (mount MaxMind\'s in production)',
      'With real dependencies it reads the variables of the poller, enricher and sink',
      '(see `pra-pipeline poller --help` and docs/configuration.md).',
      'It prints where it reads from and writes to, then a progress line every PROGRESS_INTERVAL.',
      'Ctrl-C stops it cleanly: in-flight work is finished before the cursors move.',
      '',
      'Options:',
      '  --data-dir DIR   where files go (default DATA_DIR, ./data)',
      '',
      'Variables:',
      ...variablesHelp(startSchema),
    ].join('\n');
  },
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({ args: [...args], options: { 'data-dir': { type: 'string' } }, strict: true, allowPositionals: false }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return runStart({ env: process.env, dataDir: values['data-dir'] });
  },
};
