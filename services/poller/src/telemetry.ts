/** The poller's metrics, declared once; labels are bounded (site names come from the configuration). */
import { BYTE_BUCKETS, DURATION_BUCKETS, stageMetrics, type Metrics } from '@pra-pipeline/shared';

export type Endpoint = 'token' | 'access_session' | 'access_session_listing';
export type RequestOutcome = 'ok' | 'unauthorized' | 'throttled' | 'http_4xx' | 'http_5xx' | 'network' | 'timeout' | 'too_large' | 'aborted';

export function createPollerMetrics(metrics: Metrics) {
  /** Called at each scrape, before the lag gauges are read: each site poller sets them from its committed cursor. */
  const gaugeRefreshers = new Set<() => void>();
  const refresh = () => {
    for (const fn of gaugeRefreshers) fn();
  };
  return {
    gaugeRefreshers,
    /** Dead letters and errors, shared by every stage. */
    stage: stageMetrics(metrics, 'poller'),
    requests: metrics.counter('pra_poller_requests_total', 'Requests to PRA sites by endpoint and outcome.', ['site', 'endpoint', 'outcome']),
    requestDuration: metrics.histogram('pra_poller_request_duration_seconds', 'Time to the end of each PRA response.', ['site', 'endpoint'], DURATION_BUCKETS),
    receivedBytes: metrics.counter('pra_poller_received_bytes_total', 'Response bytes received from PRA sites.', ['site', 'endpoint']),
    responseSize: metrics.histogram('pra_poller_response_size_bytes', 'Size of each PRA response.', ['site', 'endpoint'], BYTE_BUCKETS),
    retries: metrics.counter('pra_poller_retries_total', 'Requests retried after a failure.', ['site', 'endpoint']),
    tokenRenewals: metrics.counter('pra_poller_token_renewals_total', 'OAuth tokens obtained, by reason (initial, expiry, unauthorized).', ['site', 'reason']),
    windows: metrics.counter('pra_poller_windows_total', 'Report requests processed, by query and result (data, no_data, failed).', ['site', 'query', 'result']),
    sessionsPublished: metrics.counter('pra_poller_sessions_published_total', 'Sessions written to the raw topic, by state (open, closed).', ['site', 'state']),
    sessionsUnchanged: metrics.counter('pra_poller_sessions_unchanged_total', 'Sessions fetched again but not published because they had not changed.', ['site']),
    eventsPublished: metrics.counter('pra_poller_events_published_total', 'New events written to the raw topic: those of the sessions written, less those earlier records of the same sessions carried.', ['site']),
    publishedBytes: metrics.counter('pra_poller_published_bytes_total', 'Bytes of session records written to the raw topic.', ['site']),
    transactions: metrics.counter('pra_poller_transactions_total', 'Kafka transactions, by outcome (committed, aborted).', ['site', 'outcome']),
    windowLag: metrics.gauge('pra_poller_window_lag_seconds', 'Now minus the start_time cursor (the last committed unit), at each scrape.', ['site'], refresh),
    backfillRemaining: metrics.gauge('pra_poller_backfill_remaining_seconds', 'Seconds from the start_time cursor to the newest window end it may reach; 0 when caught up.', ['site'], refresh),
    closedLag: metrics.gauge('pra_poller_closed_lag_seconds', 'Now minus the closed-session listing cursor, at each scrape.', ['site'], refresh),
    openSessions: metrics.gauge('pra_poller_open_sessions', 'Running sessions tracked and re-fetched each cycle.', ['site']),
    openDropped: metrics.counter('pra_poller_open_sessions_dropped_total', 'Running sessions no longer re-fetched because they reached the maximum age.', ['site']),
    cycles: metrics.counter('pra_poller_cycles_total', 'Poll cycles, by outcome (ok, partial).', ['site', 'outcome']),
    siteUp: metrics.gauge('pra_poller_site_up', '1 while the site answers with accepted credentials.', ['site']),
  };
}

export type PollerMetrics = ReturnType<typeof createPollerMetrics>;
