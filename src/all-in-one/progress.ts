/** One progress line from the metrics every stage already keeps, the same in every mode. */
import type { Metrics } from '@pra-pipeline/shared';

async function total(metrics: Metrics, name: string, reduce: 'sum' | 'max' = 'sum'): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const values = (await metric.get()).values.map((v) => v.value);
  if (values.length === 0) return 0;
  return reduce === 'sum' ? values.reduce((a, b) => a + b, 0) : Math.max(...values);
}

export interface ProgressFigures {
  sessions: number;
  collected: number;
  documents: number;
  written: number;
  duplicates: number;
  deadLetters: number;
  lagSeconds: number;
  backfillSeconds: number;
  openSessions: number;
}

export async function progressFigures(metrics: Metrics, extra: { written?: number; duplicates?: number; deadLetters?: number } = {}): Promise<ProgressFigures> {
  return {
    sessions: await total(metrics, 'pra_poller_sessions_published_total'),
    collected: await total(metrics, 'pra_poller_events_published_total'),
    documents: await total(metrics, 'pra_enricher_documents_total'),
    written: extra.written ?? (await total(metrics, 'pra_sink_documents_indexed_total')),
    duplicates: extra.duplicates ?? (await total(metrics, 'pra_sink_documents_duplicate_total')),
    deadLetters:
      (extra.deadLetters ?? 0) +
      (await total(metrics, 'pra_dead_letters_total')),
    lagSeconds: await total(metrics, 'pra_poller_window_lag_seconds', 'max'),
    backfillSeconds: await total(metrics, 'pra_poller_backfill_remaining_seconds', 'max'),
    openSessions: await total(metrics, 'pra_poller_open_sessions'),
  };
}

function duration(seconds: number): string {
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)}h`;
  if (seconds >= 60) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds)}s`;
}

export function progressLine(f: ProgressFigures, written: 'written' | 'indexed'): string {
  const parts = [
    `collected ${f.collected} events in ${f.sessions} session records`,
    `enriched ${f.documents}`,
    `${written} ${f.written}${f.duplicates > 0 ? ` (+${f.duplicates} already there)` : ''}`,
    `dead letters ${f.deadLetters}`,
    `open sessions ${f.openSessions}`,
    `poll lag ${duration(f.lagSeconds)}`,
  ];
  if (f.backfillSeconds > 0) parts.push(`backfill ${duration(f.backfillSeconds)} to go`);
  return `Progress: ${parts.join(', ')}.`;
}
