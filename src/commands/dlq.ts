/**
 * `pra-pipeline dlq`: what is in the dead letter topic and why, and replaying
 * chosen dead letters to the topic they came from once the cause is fixed.
 */
import { parseArgs } from 'node:util';
import {
  createIdempotentProducer,
  createKafka,
  createLogger,
  DLQ_HEADERS,
  kafkaVars,
  loadConfig,
  parseDeadLetter,
  readTopicToEnd,
  type DeadLetter,
  type IHeaders,
} from '@pra-pipeline/shared';
import { UsageError } from '../cli.js';
import type { Command } from './command.js';
import { variablesHelp } from './service-command.js';

const HELP = `Usage:
  pra-pipeline dlq list   [--stage S] [--code C] [--source-topic T] [--limit N] [--json]
  pra-pipeline dlq replay (--offsets P:O,P:O,... | --all) [--stage S] [--code C] [--source-topic T] [--dry-run]

list    Reads the dead letter topic (KAFKA_DLQ_TOPIC) from the beginning to its end and prints
        each dead letter: its partition:offset, when, which stage gave up, the error code and
        type, where the record came from, and the reason.
replay  Sends the selected dead letters back to their source topic, with their original key,
        value and headers (the dead letter headers removed), after the cause is fixed. Event
        ids are deterministic, so a replayed event that was indexed before is not duplicated.
        Replaying does not delete anything from the dead letter topic.

Options:
  --stage S         only dead letters from this stage (enricher, sink)
  --code C          only this error code (e.g. PIPE_XML_MALFORMED, PIPE_ES_ITEM_REJECTED)
  --source-topic T  only dead letters whose record came from this topic
  --offsets LIST    replay these, written partition:offset as list prints them
  --all             replay every dead letter that matches the filters
  --limit N         list at most N (the newest N are not guaranteed; the first N read)
  --json            one JSON object per line instead of the table
  --dry-run         say what replay would send, send nothing

Variables:
${variablesHelp(kafkaVars).join('\n')}`;

interface Entry extends DeadLetter {
  partition: number;
  offset: string;
  /** As read, for a replay that keeps the original headers. */
  rawHeaders: IHeaders | undefined;
}

function strip(headers: IHeaders | undefined): IHeaders {
  const out: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (!name.startsWith('pra.dlq.') && value !== undefined) out[name] = value;
  return out;
}

export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'List dead letters with their reasons, and replay chosen ones after a fix.',
  help: HELP,
  async run(args) {
    const [action, ...rest] = args;
    if (action !== 'list' && action !== 'replay') throw new UsageError('pra-pipeline dlq needs an action: list or replay.');
    let values;
    try {
      ({ values } = parseArgs({
        args: rest,
        options: {
          stage: { type: 'string' },
          code: { type: 'string' },
          'source-topic': { type: 'string' },
          offsets: { type: 'string' },
          all: { type: 'boolean', default: false },
          limit: { type: 'string' },
          json: { type: 'boolean', default: false },
          'dry-run': { type: 'boolean', default: false },
        },
        strict: true,
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const limit = values.limit === undefined ? Infinity : Number(values.limit);
    if (!Number.isInteger(limit) && limit !== Infinity) throw new UsageError(`--limit must be a whole number, not "${values.limit}".`);
    let wanted: Set<string> | undefined;
    if (action === 'replay') {
      if (!values.all && !values.offsets) throw new UsageError('replay needs --offsets or --all.');
      if (values.offsets) {
        const list = values.offsets.split(',').map((s) => s.trim()).filter(Boolean);
        const bad = list.find((s) => !/^\d+:\d+$/.test(s));
        if (bad) throw new UsageError(`--offsets takes partition:offset pairs; "${bad}" is not one.`);
        wanted = new Set(list);
      }
    }

    const { config, secrets } = loadConfig('dlq', kafkaVars);
    const logger = createLogger({ service: 'dlq', level: 'warn', secrets, destination: process.stderr as never });
    const kafka = createKafka(config, logger);
    const entries: Entry[] = [];
    await readTopicToEnd(
      kafka,
      config.kafkaDlqTopic,
      (message) => {
        const letter = parseDeadLetter(message);
        if (!letter) return;
        const entry: Entry = { ...letter, partition: message.partition, offset: message.offset, rawHeaders: message.headers };
        if (values.stage && entry.stage !== values.stage) return;
        if (values.code && entry.errorCode !== values.code) return;
        if (values['source-topic'] && entry.sourceTopic !== values['source-topic']) return;
        if (wanted && !wanted.has(`${entry.partition}:${entry.offset}`)) return;
        entries.push(entry);
      },
      { logger, groupPrefix: 'pra-dlq-reader' },
    );

    if (action === 'list') {
      const shown = entries.slice(0, limit);
      for (const e of shown) {
        if (values.json) {
          console.log(JSON.stringify({
            position: `${e.partition}:${e.offset}`, time: e.time?.toISOString(), stage: e.stage, errorCode: e.errorCode, errorType: e.errorType,
            source: `${e.sourceTopic}/${e.sourcePartition}/${e.sourceOffset}`, key: e.key?.toString() ?? null, reason: e.reason,
          }));
        } else {
          console.log(`${e.partition}:${e.offset}  ${e.time?.toISOString() ?? '-'}  ${e.stage}  ${e.errorCode} (${e.errorType})  from ${e.sourceTopic}/${e.sourcePartition}/${e.sourceOffset}  key=${e.key?.toString() ?? '-'}\n    ${e.reason}`);
        }
      }
      if (!values.json) console.log(`${shown.length} dead letter(s) in ${config.kafkaDlqTopic}${shown.length < entries.length ? ` (${entries.length} match)` : ''}.`);
      return 0;
    }

    if (wanted && entries.length < wanted.size) {
      const found = new Set(entries.map((e) => `${e.partition}:${e.offset}`));
      console.error(`Not in ${config.kafkaDlqTopic} (or filtered out): ${[...wanted].filter((w) => !found.has(w)).join(', ')}`);
      return 1;
    }
    const bySource = new Map<string, { key: Buffer | null; value: Buffer | null; headers: IHeaders }[]>();
    for (const e of entries) {
      if (!e.sourceTopic) {
        console.error(`${e.partition}:${e.offset} has no ${DLQ_HEADERS.sourceTopic} header; it cannot be replayed.`);
        return 1;
      }
      const list = bySource.get(e.sourceTopic) ?? [];
      list.push({ key: e.key, value: e.value, headers: strip(e.rawHeaders) });
      bySource.set(e.sourceTopic, list);
    }
    for (const [topic, messages] of bySource) console.log(`${values['dry-run'] ? 'Would replay' : 'Replaying'} ${messages.length} record(s) to ${topic}.`);
    if (values['dry-run'] || entries.length === 0) return 0;
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    try {
      await producer.sendBatch({ acks: -1, topicMessages: [...bySource].map(([topic, messages]) => ({ topic, messages })) });
    } finally {
      await producer.disconnect();
    }
    console.log(`Replayed ${entries.length} record(s).`);
    return 0;
  },
};
