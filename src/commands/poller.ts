/** `pra-pipeline poller`: PRA sites' access sessions into the raw topic, nothing lost. */
import { pollerVars, runPoller } from '@pra-pipeline/poller';
import { printError, serviceCommand } from './service-command.js';

export const pollerCommand = serviceCommand({
  name: 'poller',
  summary: 'Poll PRA sites\' access sessions into the raw topic (one transaction per request, cursor included).',
  description: [
    'Polls each PRA site\'s reporting API: new sessions by start_time in bounded windows, running',
    'sessions again by lsid until they end, and closed sessions from the end_time listing as a safety',
    'net. Each <session> element is one record on the raw topic (key <site>/<lsid>, site options in',
    'headers), written with the site\'s cursor in one Kafka transaction (transactional id per site).',
    'Sites: PRA_SITES (JSON array) or PRA_SITES_FILE, or PRA_URL, PRA_CLIENT_ID, PRA_CLIENT_SECRET for one;',
    'the other PRA_* variables are the defaults of every site (site keys: the name without PRA_, lower case).',
  ],
  schema: pollerVars,
  run: (env) => runPoller({ env, printError }),
});
