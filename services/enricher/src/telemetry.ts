/** The enricher's metrics. */
import { DURATION_BUCKETS, stageMetrics, type Metrics } from '@pra-pipeline/shared';

export function enricherMetrics(metrics: Metrics) {
  return {
    /** Dead letters, errors and consumer lag, shared by every stage. */
    stage: stageMetrics(metrics, 'enricher'),
    sessions: metrics.counter('pra_enricher_sessions_total', 'Raw session records read.'),
    events: metrics.counter('pra_enricher_events_total', 'New events found in the sessions read (those earlier records did not carry).'),
    eventsSeenBefore: metrics.counter('pra_enricher_events_seen_before_total', 'Events of the sessions read that earlier raw records of the session already carried; not mapped again.'),
    transactions: metrics.counter('pra_enricher_transactions_total', 'Kafka transactions of documents, dead letters and input offsets, by outcome.', ['outcome']),
    documents: metrics.counter('pra_enricher_documents_total', 'ECS documents produced to the enriched topic.'),
    pipelineErrors: metrics.counter('pra_enricher_pipeline_error_documents_total', 'Documents indexed with event.kind pipeline_error (a field could not be converted).'),
    geoLookups: metrics.counter('pra_geoip_lookups_total', 'GeoIP lookups by result.', ['result']),
    geoDatabaseAge: metrics.gauge('pra_geoip_database_age_seconds', 'Age of the oldest GeoIP database in use (from its build date).'),
    geoDatabases: metrics.gauge('pra_geoip_databases_loaded', 'GeoIP databases in use, by kind (0 when missing).', ['kind']),
    batchDuration: metrics.histogram('pra_enricher_batch_duration_seconds', 'Time to transform, produce and commit one chunk of records.', [], DURATION_BUCKETS),
  };
}

export type EnricherMetrics = ReturnType<typeof enricherMetrics>;
