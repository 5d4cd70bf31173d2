/**
 * The poller's variables. Sites come from PRA_SITES (a JSON array, or
 * PRA_SITES_FILE), or for one site from PRA_URL, PRA_CLIENT_ID and
 * PRA_CLIENT_SECRET. The other PRA_* variables are each site's defaults; a
 * site object may override any of them (snake_case keys, see sites.ts).
 */
import { kafkaVars, opsVars, signingVars, v, type ConfigOf } from '@pra-pipeline/shared';
import { siteDefaultVars } from './site-options.js';

export const pollerVars = {
  ...opsVars,
  ...kafkaVars,
  ...signingVars,
  praSites: v.json({ optional: true, doc: 'Sites as a JSON array of objects (name, url, client_id, client_secret or client_secret_file, options); or PRA_SITES_FILE.' }, (value) => value),
  praSiteName: v.string({ optional: true, doc: 'Single-site mode: the site\'s name (default: its host name).' }),
  praUrl: v.string({ optional: true, doc: 'Single-site mode: the site, host name with or without https://.' }),
  praClientId: v.string({ optional: true, doc: 'Single-site mode: OAuth client id of the API account.' }),
  praClientSecret: v.string({ optional: true, secret: true, doc: 'Single-site mode: OAuth client secret (or PRA_CLIENT_SECRET_FILE).' }),
  ...siteDefaultVars,
  pollerRawTopic: v.string({ default: 'pra.raw.access-session.v1', doc: 'Topic of the raw session records.' }),
  pollerStateTopic: v.string({ default: 'pra.poller.state.v1', doc: 'Compacted topic of the cursors (key = site).' }),
  pollerTransactionalIdPrefix: v.string({ default: 'pra-poller', doc: 'Transactional id prefix; the id is <prefix>-<site>, so a second poller for a site fences the first.' }),
  pollerTransactionTimeout: v.duration({ default: 300_000, min: 1000, doc: 'Kafka transaction timeout (one window is one transaction).' }),
  pollerBatchMaxBytes: v.integer({ default: 1024 * 1024, min: 1024, doc: 'Records are sent to Kafka in batches of at most this many bytes.' }),
  pollerMaxSessionBytes: v.integer({ default: 15 * 1024 * 1024, min: 1024, doc: 'A larger session goes to the dead letter topic (its head, with the reason), not to the raw topic.' }),
  pollerMaxXmlDepth: v.integer({ default: 64, min: 4, max: 10_000, doc: 'Deepest element nesting accepted in a report (PRA nests about six deep); a deeper one fails the request with PIPE_XML_LIMIT and is retried, the cursor in place, so memory stays bounded.' }),
  pollerRawTopicMaxMessageBytes: v.integer({ default: 16 * 1024 * 1024, min: 1024, doc: 'max.message.bytes of the raw topic when the poller creates it.' }),
  pollerCompression: v.enum(['gzip', 'none'] as const, { default: 'gzip', doc: 'Compression of produced batches.' }),
  pollerRetryAttempts: v.integer({ default: 5, min: 1, doc: 'Attempts per request in one cycle before the window waits for the next cycle.' }),
  pollerRetryBase: v.duration({ default: 1000, min: 1, doc: 'First retry delay (exponential, full jitter).' }),
  pollerRetryMax: v.duration({ default: 60_000, min: 1, doc: 'Longest retry delay, Retry-After included.' }),
  pollerSeenClosedMax: v.integer({ default: 50_000, min: 100, doc: 'Most closed sessions remembered in a cursor to avoid publishing them twice.' }),
};

export type PollerEnvConfig = ConfigOf<typeof pollerVars>;
