/** Dead letters to the Kafka dead letter topic: original key, value and headers, plus the reason headers. */
import { deadLetterMessage, sendDeadLetter, type Producer } from '@pra-pipeline/shared';
import type { DeadLetterFailure, DeadLetterWriter, SinkRecord } from './stage.js';

export const SINK_STAGE = 'sink';

/** The dead letter record for a record the sink gave up on, wherever it is written. */
function sinkInfo(record: SinkRecord, failure: DeadLetterFailure) {
  return {
    stage: SINK_STAGE,
    errorCode: failure.code,
    errorType: failure.errorType,
    reason: failure.reason,
    sourceTopic: record.topic,
    sourcePartition: record.partition,
    sourceOffset: record.offset,
  };
}

export function sinkDeadLetter(record: SinkRecord, failure: DeadLetterFailure, maxBytes?: number): ReturnType<typeof deadLetterMessage> {
  return deadLetterMessage(record, sinkInfo(record, failure), { maxBytes });
}

/**
 * Writes to the dead letter topic, cut to fit `maxBytes()` (the topic's
 * max.message.bytes) and smaller again if the topic still refuses it as too large.
 */
export function kafkaDeadLetterWriter(producer: Producer, topic: string, maxBytes?: () => number): DeadLetterWriter {
  return async (record, failure) => {
    await sendDeadLetter((message) => producer.send({ topic, acks: -1, messages: [message] }), record, sinkInfo(record, failure), { maxBytes: maxBytes?.() });
  };
}
