export { buildSinkApp, buildSinkStage, type SinkApp, type SinkAppDeps, type SinkStageDeps } from './app.js';
export { sinkSchema, loadSinkConfig, checkSinkConfig, type SinkConfig } from './config.js';
export { SinkStage, type SinkRecord, type StageOutcome, type DeadLetterWriter, type DeadLetterFailure } from './stage.js';
export { BulkIndexer, type Outcome, type IndexItem } from './bulk-indexer.js';
export { kafkaDeadLetterWriter, sinkDeadLetter, SINK_STAGE } from './dead-letter-writer.js';
export { createEsClient, esClientOptions } from './es-client.js';
export { ensureIndexSetup, indexTemplateBody, INDEX_PATTERN } from './index-setup.js';
export { dataStreamName, DATA_STREAM_PREFIX } from './bulk-body.js';
export { runSink } from './main.js';
