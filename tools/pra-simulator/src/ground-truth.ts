/**
 * Ground truth: every event the simulator has made visible so far, as
 * {site, lsid, position, timestamp, event_type}. `site` is the site name the
 * poller is configured with (SiteOptions.pollerSite, default the simulator's
 * site name), so that ids computed here match the enricher's event.id.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { stableId } from '@pra-pipeline/shared';
import { typeAt } from './events.js';
import { timeline, type SiteGenerator } from './generator.js';
import type { GroundTruthEntry } from './model.js';

export function* groundTruthOf(gen: SiteGenerator, pollerSite: string, nowSec: number): Generator<GroundTruthEntry> {
  for (const plan of gen.sessionsStartingBetween(gen.firstMinute * 60, nowSec)) {
    let position = 0;
    for (const timestamp of timeline(plan)) {
      if (timestamp > nowSec) break;
      yield { site: pollerSite, lsid: plan.lsid, position, timestamp, event_type: typeAt(plan, position) };
      position++;
    }
  }
}

/** The enricher's event.id for a ground-truth entry. */
export function eventIdOf(entry: GroundTruthEntry): string {
  return stableId(entry.site, entry.lsid, entry.position, entry.timestamp, entry.event_type);
}

export function* toNdjson(entries: Iterable<GroundTruthEntry>): Generator<string> {
  for (const e of entries) yield `${JSON.stringify(e)}\n`;
}

/** Writes entries as NDJSON (one JSON object a line); resolves with the count. */
export async function writeNdjson(path: string, entries: Iterable<GroundTruthEntry>): Promise<number> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  let count = 0;
  try {
    for (const line of toNdjson(entries)) {
      count++;
      if (!out.write(line)) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return count;
}
