/** The sink's metrics, declared once; the all-in-one process shares them through one registry. */
import { BYTE_BUCKETS, DURATION_BUCKETS, stageMetrics, type Metrics } from '@pra-pipeline/shared';

/** Event-to-index delay: from a second to a day, for backlogs and replays. */
const DELAY_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400];
const DOCUMENT_BUCKETS = [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export function sinkMetrics(metrics: Metrics) {
  return {
    /** Dead letters, errors and consumer lag, shared by every stage. */
    stage: stageMetrics(metrics, 'sink'),
    indexed: metrics.counter('pra_sink_documents_indexed_total', 'Documents Elasticsearch indexed (201).'),
    duplicates: metrics.counter('pra_sink_documents_duplicate_total', 'Documents already indexed under their _id (409 on create): replays, counted as success.'),
    retried: metrics.counter('pra_sink_documents_retried_total', 'Documents sent again, by why: an item-level failure (429, 5xx, rejected execution) or a failed request.', ['reason']),
    skipped: metrics.counter('pra_sink_records_skipped_total', 'Records with nothing to index (tombstones).'),
    bulkDuration: metrics.histogram('pra_sink_bulk_request_duration_seconds', 'Duration of _bulk requests, by outcome (ok, failed).', ['outcome'], DURATION_BUCKETS),
    bulkBytes: metrics.histogram('pra_sink_bulk_request_bytes', 'Uncompressed size of _bulk request bodies.', [], BYTE_BUCKETS),
    bulkDocuments: metrics.histogram('pra_sink_bulk_request_documents', 'Documents per _bulk request.', [], DOCUMENT_BUCKETS),
    inFlight: metrics.gauge('pra_sink_bulk_requests_in_flight', '_bulk requests sent and not yet answered.'),
    bufferedBytes: metrics.gauge('pra_sink_buffered_bytes', 'Bytes of records read and not yet indexed or dead-lettered (batching, in flight, waiting to retry).'),
    bufferedDocuments: metrics.gauge('pra_sink_buffered_documents', 'Documents read and not yet indexed or dead-lettered.'),
    delay: metrics.histogram('pra_sink_event_delay_seconds', 'Time from event.created to the document being indexed.', [], DELAY_BUCKETS),
    elasticsearchUp: metrics.gauge('pra_sink_elasticsearch_up', '1 while _bulk requests succeed, 0 while the sink waits for Elasticsearch.'),
  };
}

export type SinkMetrics = ReturnType<typeof sinkMetrics>;
