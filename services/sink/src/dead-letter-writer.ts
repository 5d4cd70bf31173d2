/** Dead letters to the Kafka dead letter topic: original key, value and headers, plus the reason headers. */
import { deadLetterMessage, type Producer } from '@pra-pipeline/shared';
import type { DeadLetterFailure, DeadLetterWriter, SinkRecord } from './stage.js';

export const SINK_STAGE = 'sink';

/** The dead letter record for a record the sink gave up on, wherever it is written. */
export function sinkDeadLetter(record: SinkRecord, failure: DeadLetterFailure): ReturnType<typeof deadLetterMessage> {
  return deadLetterMessage(record, {
    stage: SINK_STAGE,
    errorCode: failure.code,
    errorType: failure.errorType,
    reason: failure.reason,
    sourceTopic: record.topic,
    sourcePartition: record.partition,
    sourceOffset: record.offset,
  });
}

export function kafkaDeadLetterWriter(producer: Producer, topic: string): DeadLetterWriter {
  return async (record, failure) => {
    await producer.send({ topic, acks: -1, messages: [sinkDeadLetter(record, failure)] });
  };
}
