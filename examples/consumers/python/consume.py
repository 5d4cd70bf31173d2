"""Reads the enriched topic as another team would.

read_committed, values decoded by Confluent's JSONDeserializer with the writer
schema it fetches from the registry for the id in each record, one JSON line
per record on stdout. Stops after MAX_RECORDS records, or when no record
arrived for IDLE_TIMEOUT_MS. Offsets are committed for the records printed, so
the same GROUP_ID continues where it stopped.

    KAFKA_BROKERS=host:9092 SCHEMA_REGISTRY_URL=http://registry:8080/apis/ccompat/v7 \
    GROUP_ID=my-team python consume.py
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

env = os.environ
topic = env.get("TOPIC", "pra.ecs.access-session.v1")
max_records = int(env.get("MAX_RECORDS", "0"))  # 0: no limit
idle_timeout = int(env.get("IDLE_TIMEOUT_MS", "30000")) / 1000

config = {
    "bootstrap.servers": env["KAFKA_BROKERS"],
    "group.id": env["GROUP_ID"],
    # Records of aborted or still open transactions are never delivered.
    "isolation.level": "read_committed",
    "auto.offset.reset": "earliest",
    # Offsets are stored only once a record is printed; the auto-commit then commits them.
    "enable.auto.offset.store": False,
}
if env.get("KAFKA_SASL_MECHANISM"):
    config.update({
        "security.protocol": "SASL_SSL" if env.get("KAFKA_TLS") == "true" else "SASL_PLAINTEXT",
        "sasl.mechanism": env["KAFKA_SASL_MECHANISM"],
        "sasl.username": env["KAFKA_SASL_USERNAME"],
        "sasl.password": env["KAFKA_SASL_PASSWORD"],
    })
elif env.get("KAFKA_TLS") == "true":
    config["security.protocol"] = "SSL"

registry_config = {"url": env["SCHEMA_REGISTRY_URL"]}
if env.get("SCHEMA_REGISTRY_USERNAME"):
    registry_config["basic.auth.user.info"] = f"{env['SCHEMA_REGISTRY_USERNAME']}:{env.get('SCHEMA_REGISTRY_PASSWORD', '')}"

# schema_str=None: each value is decoded (and validated) with the schema its id names in the registry.
# The subject is <topic>-value (TOPIC strategy).
deserialize = JSONDeserializer(
    None,
    schema_registry_client=SchemaRegistryClient(registry_config),
    conf={"subject.name.strategy.type": "TOPIC"},
)

consumer = Consumer(config)
consumer.subscribe([topic])
count = 0
last_record = time.monotonic()
try:
    while max_records == 0 or count < max_records:
        message = consumer.poll(0.5)
        if message is None:
            if time.monotonic() - last_record >= idle_timeout:
                break
            continue
        if message.error():
            raise KafkaException(message.error())
        document = deserialize(message.value(), SerializationContext(message.topic(), MessageField.VALUE, message.headers()))
        headers = {name: value.decode() if value is not None else None for name, value in message.headers() or []}
        key = message.key().decode() if message.key() is not None else None
        line = {"key": key, "partition": message.partition(), "offset": message.offset(), "headers": headers, "document": document}
        print(json.dumps(line), flush=True)
        consumer.store_offsets(message)
        count += 1
        last_record = time.monotonic()
finally:
    consumer.close()  # commits the stored offsets and leaves the group
print(f"Read {count} records from {topic}.", file=sys.stderr)
