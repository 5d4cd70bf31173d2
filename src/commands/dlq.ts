/**
 * `pra-pipeline dlq`: what is in the dead letter topic and why, and replaying
 * chosen dead letters to the topic they came from once the cause is fixed.
 *
 * A dead letter's source-topic header is data, not configuration: replay
 * writes only to the pipeline's own input topics as configured (an enricher
 * dead letter to the raw topic, a sink dead letter to the enriched topic),
 * never to the cursor topic, the dead letter topic or any other, and nothing
 * at all when one selected dead letter cannot be replayed. Each replayed
 * record carries where it came from (pra.replay.* headers), and each is logged.
 */
import { parseArgs } from 'node:util';
import { enricherSchema } from '@pra-pipeline/enricher';
import { pollerVars } from '@pra-pipeline/poller';
import { sinkSchema } from '@pra-pipeline/sink';
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
  type Logger,
} from '@pra-pipeline/shared';
import { UsageError } from './command.js';
import type { Command } from './command.js';
import { variablesHelp } from './service-command.js';

/** Headers that record a replay on the replayed record; a later dead letter of it carries them along. */
export const REPLAY_HEADERS = {
  from: 'pra.replay.from',
  time: 'pra.replay.time',
  errorCode: 'pra.replay.error_code',
  count: 'pra.replay.count',
} as const;

const replayVars = {
  ...kafkaVars,
  pollerRawTopic: pollerVars.pollerRawTopic,
  pollerStateTopic: pollerVars.pollerStateTopic,
  enricherInputTopic: enricherSchema.enricherInputTopic,
  enricherOutputTopic: enricherSchema.enricherOutputTopic,
  sinkTopic: sinkSchema.sinkTopic,
};

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
        Only the pipeline's own input topics are written: an enricher dead letter goes back to
        the raw topic (ENRICHER_INPUT_TOPIC / POLLER_RAW_TOPIC), a sink dead letter to the
        enriched topic (ENRICHER_OUTPUT_TOPIC / SINK_TOPIC). One whose source topic is any
        other (the cursor topic POLLER_STATE_TOPIC, the dead letter topic, an unknown one),
        whose stage is not one of these, or whose value was cut to fit the dead letter topic,
        is refused, and then nothing is sent. Each replayed record carries the headers
        ${REPLAY_HEADERS.from} (dead letter topic/partition/offset), ${REPLAY_HEADERS.time},
        ${REPLAY_HEADERS.errorCode} (why it was dead-lettered) and ${REPLAY_HEADERS.count}
        (how many times it was replayed); each is logged as a JSON line on stderr.

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
${variablesHelp(replayVars).join('\n')}`;

interface Entry extends DeadLetter {
  partition: number;
  offset: string;
  /** As read, for a replay that keeps the original headers. */
  rawHeaders: IHeaders | undefined;
}

/** The topics a dead letter of each stage may go back to, from the configuration. */
function replayTargets(config: { pollerRawTopic: string; enricherInputTopic: string; enricherOutputTopic: string; sinkTopic: string }): Map<string, Set<string>> {
  return new Map([
    ['enricher', new Set([config.enricherInputTopic, config.pollerRawTopic])],
    ['sink', new Set([config.enricherOutputTopic, config.sinkTopic])],
  ]);
}

/** Why `entry` may not be replayed, or undefined when it may. */
function refusal(entry: Entry, targets: Map<string, Set<string>>, config: { pollerStateTopic: string; kafkaDlqTopic: string }): string | undefined {
  const topic = entry.sourceTopic;
  if (!topic) return `it has no ${DLQ_HEADERS.sourceTopic} header`;
  if (topic === config.pollerStateTopic) return `its source topic "${topic}" is the poller's cursor topic (POLLER_STATE_TOPIC)`;
  if (topic === config.kafkaDlqTopic) return `its source topic "${topic}" is the dead letter topic itself`;
  const allowed = targets.get(entry.stage);
  if (!allowed) return `its stage "${entry.stage}" has no input topic to replay to (enricher or sink)`;
  if (!allowed.has(topic)) return `its source topic "${topic}" is not the ${entry.stage}'s input topic (${[...allowed].join(' or ')})`;
  if (entry.truncated) return `its ${entry.truncated} was cut to fit the dead letter topic (${entry.originalBytes ?? '?'} bytes originally); only the head is left`;
  return undefined;
}

function replayHeaders(entry: Entry, dlqTopic: string, at: Date): IHeaders {
  const previous = Number(entry.rawHeaders?.[REPLAY_HEADERS.count]?.toString() ?? 0);
  return {
    ...strip(entry.rawHeaders),
    [REPLAY_HEADERS.from]: `${dlqTopic}/${entry.partition}/${entry.offset}`,
    [REPLAY_HEADERS.time]: at.toISOString(),
    [REPLAY_HEADERS.errorCode]: entry.errorCode,
    [REPLAY_HEADERS.count]: String((Number.isInteger(previous) && previous > 0 ? previous : 0) + 1),
  };
}

/** A Kafka failure as one line: the operator needs the reason, not the stack. */
function kafkaFailure(err: unknown, what: string, logger: Logger): number {
  const e = err as Error & { type?: string };
  logger.debug({ err }, what);
  console.error(`${what}: ${e.type ? `${e.type}: ` : ''}${e.message}`);
  return 1;
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

    const { config, secrets } = loadConfig('dlq', replayVars);
    const logger = createLogger({ service: 'dlq', level: 'info', secrets, destination: process.stderr as never });
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
    const targets = replayTargets(config);
    const refused = entries.map((e) => [e, refusal(e, targets, config)] as const).filter(([, why]) => why !== undefined);
    if (refused.length > 0) {
      for (const [e, why] of refused) console.error(`${e.partition}:${e.offset} cannot be replayed: ${why}.`);
      console.error(`Nothing was replayed. Replay writes only to the raw topic (${[...targets.get('enricher')!].join(', ')}) and the enriched topic (${[...targets.get('sink')!].join(', ')}); narrow the selection with --offsets, --stage or --source-topic.`);
      return 1;
    }
    const at = new Date();
    const bySource = new Map<string, { entry: Entry; message: { key: Buffer | null; value: Buffer | null; headers: IHeaders } }[]>();
    for (const e of entries) {
      const list = bySource.get(e.sourceTopic) ?? [];
      list.push({ entry: e, message: { key: e.key, value: e.value, headers: replayHeaders(e, config.kafkaDlqTopic, at) } });
      bySource.set(e.sourceTopic, list);
    }
    for (const [topic, list] of bySource) console.log(`${values['dry-run'] ? 'Would replay' : 'Replaying'} ${list.length} record(s) to ${topic}.`);
    if (values['dry-run'] || entries.length === 0) return 0;

    const admin = kafka.admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const missing = [...bySource.keys()].filter((t) => !existing.has(t));
      if (missing.length > 0) {
        console.error(`Topic ${missing.join(', ')} does not exist; nothing was replayed.`);
        return 1;
      }
    } catch (err) {
      return kafkaFailure(err, 'Listing the topics failed; nothing was replayed', logger);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const producer = createIdempotentProducer(kafka);
    try {
      await producer.connect();
      const written = await producer.sendBatch({ acks: -1, topicMessages: [...bySource].map(([topic, list]) => ({ topic, messages: list.map((x) => x.message) })) });
      for (const [topic, list] of bySource) {
        for (const { entry, message } of list) {
          logger.info(
            {
              replay: {
                from: message.headers[REPLAY_HEADERS.from]?.toString(),
                to: topic,
                key: entry.key?.toString() ?? null,
                stage: entry.stage,
                errorCode: entry.errorCode,
                reason: entry.reason,
                count: Number(message.headers[REPLAY_HEADERS.count]?.toString()),
              },
            },
            'Replayed a dead letter.',
          );
        }
      }
      const where = written.map((m) => `${m.topicName}/${m.partition} from offset ${m.baseOffset ?? '?'}`).join(', ');
      console.log(`Replayed ${entries.length} record(s).${where ? ` Written to ${where}.` : ''}`);
      return 0;
    } catch (err) {
      return kafkaFailure(err, 'Replaying failed; some records may have been written (a replay again is harmless: event ids are deterministic)', logger);
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  },
};
