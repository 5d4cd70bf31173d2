/**
 * Benchmark input from the PRA simulator: a whole AccessSession report, split
 * into one raw record per session exactly as the poller publishes them, and
 * the ECS documents the enricher makes of them. Deterministic for a seed.
 */
import { RAW_CONTENT_TYPE, RECORD_HEADERS, rawRecordKey } from '@pra-pipeline/shared';
import { type EcsDocument, enrichRawRecord, type RawRecord, type GeoLookup } from '@pra-pipeline/enricher';
import { SessionSplitter } from '@pra-pipeline/poller';
import { startSimulator } from '@pra-pipeline/pra-simulator';

export const SITE = 'bench';
const START = new Date('2024-06-01T12:00:00Z');

export interface InputSize {
  /** Simulated history: sessions started within it. */
  historyMinutes: number;
  sessionsPerMinute: number;
  eventsPerSession: number;
}

export interface RawInput {
  records: RawRecord[];
  /** Bytes of session XML. */
  bytes: number;
  events: number;
}

/** The records a poller would publish for one report of the simulator (manual clock, no running sessions). */
export async function rawRecords(size: InputSize, options: { seed?: number; namespace?: string; fetchedAt?: Date } = {}): Promise<RawInput> {
  const sim = await startSimulator({
    seed: options.seed ?? 7,
    clock: { start: START },
    historySeconds: size.historyMinutes * 60,
    profile: { sessionsPerMinute: size.sessionsPerMinute, eventsPerSession: size.eventsPerSession, runningShare: 0, sessionMinutes: 10 },
    sites: [{ name: SITE, clientId: 'bench', clientSecret: 'bench-secret' }],
  });
  try {
    const site = sim.sites[0]!;
    const tokenRes = await fetch(site.tokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${site.clientId}:${site.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    const from = Math.floor(START.getTime() / 1000) - size.historyMinutes * 60 - 60;
    const res = await fetch(`${site.reportingUrl}?generate_report=AccessSession&start_time=${from}&duration=0`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok || !res.body) throw new Error(`The simulator's report failed: HTTP ${res.status}`);
    const splitter = new SessionSplitter({ maxSessionBytes: 64 * 1024 * 1024 });
    const fetchedAt = (options.fetchedAt ?? new Date()).toISOString();
    const headers = {
      [RECORD_HEADERS.site]: SITE,
      [RECORD_HEADERS.siteHost]: 'bench.example.com',
      [RECORD_HEADERS.namespace]: options.namespace ?? 'bench',
      [RECORD_HEADERS.tags]: 'forwarded,beyondtrust_pra-access_session',
      [RECORD_HEADERS.preserveOriginalEvent]: 'false',
      [RECORD_HEADERS.preserveDuplicateCustomFields]: 'false',
      [RECORD_HEADERS.query]: 'start_time',
      [RECORD_HEADERS.fetchedAt]: fetchedAt,
      [RECORD_HEADERS.contentType]: RAW_CONTENT_TYPE,
    };
    const records: RawRecord[] = [];
    let bytes = 0;
    let events = 0;
    const take = (items: ReturnType<SessionSplitter['push']>) => {
      for (const item of items) {
        if (item.kind !== 'session' || !item.bytes) continue;
        records.push({ key: Buffer.from(rawRecordKey(SITE, item.lsid ?? 'unknown')), value: item.bytes, headers });
        bytes += item.bytes.length;
        events += item.events;
      }
    };
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) take(splitter.push(chunk));
    take(splitter.end());
    if (records.length === 0) throw new Error('The simulator returned no sessions; make the history longer');
    return { records, bytes, events };
  } finally {
    await sim.stop();
  }
}

/** The enricher's documents for the records (stage A and B, GeoIP when given). */
export function documentsOf(records: readonly RawRecord[], geo: GeoLookup | undefined): EcsDocument[] {
  return records.flatMap((r) => enrichRawRecord(r, geo, {}).flatMap((s) => s.documents));
}
