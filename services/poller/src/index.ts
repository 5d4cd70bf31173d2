export { PollerApp, type PollerAppDeps } from './app.js';
export { loadPollerConfig, pollerVars, type PollerConfig } from './config.js';
export { siteDefaultVars, DEFAULT_TAGS } from './site-options.js';
export { runPoller } from './main.js';
export { KafkaPublisher, type KafkaPublisherOptions } from './kafka-publisher.js';
export { MemoryPublisher, type OutRecord, type Publisher, type PublishUnit } from './publisher.js';
export type { Cursor } from './cursor.js';
export type { SiteConfig } from './sites.js';
