/**
 * `pra-pipeline map`: stage A and stage B of the enricher on a file, without
 * Kafka. One ECS document per line on stdout.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  GeoIpDatabases, parseRecordsNdjson, recordsToDocuments, sessionsToRecords, DEFAULT_TAGS,
  type SiteContext, type StageARecord,
} from '@pra-pipeline/enricher';
import { PipelineError } from '@pra-pipeline/shared';
import { UsageError } from '../cli.js';
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
  --help                              this text

Exit codes: 0 mapped, 1 invalid input (the message says where), 2 usage.`;

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
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function records(input: Buffer, ndjson: boolean): StageARecord[] {
  if (ndjson) return parseRecordsNdjson(input.toString('utf8'));
  return sessionsToRecords(input).flatMap((s) => s.records);
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
  try {
    const documents = recordsToDocuments(records(input, values.records), context, geo);
    process.stdout.write(documents.map((d) => `${JSON.stringify(d)}\n`).join(''));
    return 0;
  } catch (err) {
    if (err instanceof PipelineError) {
      console.error(`pra-pipeline map: ${file === '-' ? 'stdin' : file}: ${err.message} [${err.code}]`);
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
