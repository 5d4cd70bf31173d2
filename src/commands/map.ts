/**
 * `pra-pipeline map`: stage A and stage B of the enricher on a file, without
 * Kafka. One ECS document per line on stdout.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  GeoIpDatabases, parseRecordsNdjson, recordsToDocuments, sessionsToRecordsEach, DEFAULT_TAGS,
  type SessionFailure, type SiteContext, type StageARecord,
} from '@pra-pipeline/enricher';
import { parsePublishedBefore, PipelineError, RECORD_HEADERS } from '@pra-pipeline/shared';
import { UsageError } from './command.js';
import type { Command } from './command.js';

const help = `Usage: pra-pipeline map [options] FILE|-

Maps an AccessSession report (or one <session> element) to ECS documents, one
JSON document per line on stdout. FILE "-" reads stdin.

Options:
  --records                           FILE is NDJSON of stage-A records, not XML
  --geoip-dir DIR                     MaxMind City/ASN databases (.mmdb) for geo fields
  --site NAME                         site name (event.id, observer.hostname); default "default"
  --namespace NS                      data_stream.namespace; default "default"
  --tags a,b                          tags to append; default "${DEFAULT_TAGS.join(',')}"
  --preserve-original-event           keep event.original
  --preserve-duplicate-custom-fields  keep the custom copies of ECS fields
  --fetched-at TIME                   fetch time (ISO 8601) for event.created; default now
  --published-before N                map only the events at positions N and later of each
                                      session (from 0), as the enricher does for a raw record
                                      whose ${RECORD_HEADERS.publishedBefore} header is N; their
                                      documents, event.id included, are the same as without it
  --help                              this text

A session without events is reported on stderr (its position in the report and
its lsid) and the other sessions are mapped all the same.

Exit codes: 0 mapped, 1 invalid input (the message says where; documents of the
valid sessions are still written), 2 usage.`;

async function readInput(file: string): Promise<Buffer> {
  if (file !== '-') return readFile(file);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parse(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        records: { type: 'boolean', default: false },
        'geoip-dir': { type: 'string' },
        site: { type: 'string' },
        namespace: { type: 'string' },
        tags: { type: 'string' },
        'preserve-original-event': { type: 'boolean', default: false },
        'preserve-duplicate-custom-fields': { type: 'boolean', default: false },
        'fetched-at': { type: 'string' },
        'published-before': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The records, and the sessions that gave none (the rest is mapped all the same). */
function records(input: Buffer, ndjson: boolean): { records: StageARecord[]; failures: SessionFailure[] } {
  if (ndjson) return { records: parseRecordsNdjson(input.toString('utf8')), failures: [] };
  const out: StageARecord[] = [];
  const failures: SessionFailure[] = [];
  for (const session of sessionsToRecordsEach(input)) {
    if ('error' in session) failures.push(session);
    else out.push(...session.records);
  }
  return { records: out, failures };
}

/** The shared header parser, so the flag means what the header means. */
function publishedBefore(value: string | undefined): number {
  try {
    return parsePublishedBefore(value);
  } catch {
    throw new UsageError(`--published-before: "${value ?? ''}" is not a non-negative integer.`);
  }
}

function failureText(where: string, failure: SessionFailure): string {
  const id = failure.lsid === undefined ? (failure.lseq === undefined ? 'no lsid' : `lseq "${failure.lseq}"`) : `lsid "${failure.lsid}"`;
  return `pra-pipeline map: ${where}: session ${failure.position + 1} (${id}): ${failure.error.message} [${failure.error.code}]`;
}

async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('Expected exactly one FILE (or - for stdin).');
  const fetchedAt = values['fetched-at'] ?? new Date();
  if (typeof fetchedAt === 'string' && Number.isNaN(Date.parse(fetchedAt))) {
    throw new UsageError(`--fetched-at: "${fetchedAt}" is not an ISO 8601 time.`);
  }
  const from = publishedBefore(values['published-before']);
  const file = positionals[0] as string;
  const context: SiteContext = {
    site: values.site ?? 'default',
    host: values.site,
    namespace: values.namespace,
    tags: values.tags === undefined ? undefined : values.tags.split(',').map((t) => t.trim()).filter((t) => t !== ''),
    preserveOriginalEvent: values['preserve-original-event'],
    preserveDuplicateCustomFields: values['preserve-duplicate-custom-fields'],
    fetchedAt,
  };
  let input: Buffer;
  try {
    input = await readInput(file);
  } catch (err) {
    console.error(`pra-pipeline map: cannot read ${file}: ${(err as Error).message}`);
    return 1;
  }
  let geo: GeoIpDatabases | undefined;
  if (values['geoip-dir'] !== undefined) {
    geo = await GeoIpDatabases.open({ dir: values['geoip-dir'], pollIntervalMs: 0 });
    const status = geo.status();
    if (!status.city && !status.asn && !status.country) {
      console.error(`pra-pipeline map: no GeoIP database in ${status.dir}; documents have no geo fields.`);
    }
  }
  const where = file === '-' ? 'stdin' : file;
  try {
    const read = records(input, values.records);
    const documents = recordsToDocuments(read.records, context, geo, from);
    process.stdout.write(documents.map((d) => `${JSON.stringify(d)}\n`).join(''));
    for (const failure of read.failures) console.error(failureText(where, failure));
    return read.failures.length === 0 ? 0 : 1;
  } catch (err) {
    if (err instanceof PipelineError) {
      console.error(`pra-pipeline map: ${where}: ${err.message} [${err.code}]`);
      return 1;
    }
    throw err;
  } finally {
    geo?.close();
  }
}

export const mapCommand: Command = {
  name: 'map',
  summary: 'Map an AccessSession report or stage-A records to ECS documents (stdout, NDJSON)',
  help,
  run,
};
