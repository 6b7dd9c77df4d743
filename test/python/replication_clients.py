#!/usr/bin/env python3
"""confluent_kafka and kafka-python on a three-node Samsa cluster started with
default.replication.factor=3 and min.insync.replicas=2: each client's admin creates a topic
with three replicas, sees min.insync.replicas=2 on it, produces with acks=all, reads every
record back, and sees every partition on three replicas, all three in sync.

Usage: replication_clients.py BOOTSTRAP (any node, or a comma-separated list)
Prints one JSON summary line and exits non-zero if any check failed.
"""
import sys

import confluent_kafka
import kafka
from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as CkTopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource as KpConfigResource
from kafka.admin import ConfigResourceType, KafkaAdminClient
from kafka.admin import NewTopic as KpNewTopic

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from client_checks import check, finish, section, wait_until  # noqa: E402

BOOTSTRAP = sys.argv[1]
PARTITIONS = 3
COUNT = 300
CK_TOPIC = "rf3-confluent"
KP_TOPIC = "rf3-kafka-python"
info = {"confluent_kafka": confluent_kafka.version()[0], "kafka-python": kafka.__version__}


def values():
    return {b"v%d" % i for i in range(COUNT)}


@section
def confluent_kafka_rf3():
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    admin.create_topics([NewTopic(CK_TOPIC, num_partitions=PARTITIONS, replication_factor=3)])[CK_TOPIC].result(30)

    def in_sync():
        parts = admin.list_topics(topic=CK_TOPIC, timeout=20).topics[CK_TOPIC].partitions
        return len(parts) == PARTITIONS and all(sorted(p.replicas) == [0, 1, 2] and sorted(p.isrs) == [0, 1, 2] for p in parts.values())
    check("confluent_kafka: %s has 3 partitions, each on replicas [0,1,2] with all 3 in the ISR" % CK_TOPIC, wait_until(in_sync, 30),
          {i: (p.replicas, p.isrs) for i, p in admin.list_topics(topic=CK_TOPIC, timeout=20).topics[CK_TOPIC].partitions.items()})
    cfg = list(admin.describe_configs([ConfigResource("topic", CK_TOPIC)]).values())[0].result(20)
    check("confluent_kafka: min.insync.replicas=2 (the cluster default)", cfg["min.insync.replicas"].value == "2", cfg["min.insync.replicas"].value)

    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all", "enable.idempotence": True})
    delivered = []
    for i in range(COUNT):
        producer.produce(CK_TOPIC, key=b"k%d" % i, value=b"v%d" % i, on_delivery=lambda err, msg: delivered.append((err, msg.partition())))
    producer.flush(60)
    check("confluent_kafka: %d records acknowledged with acks=all" % COUNT, len(delivered) == COUNT and all(e is None for e, _ in delivered),
          [str(e) for e, _ in delivered if e is not None][:3])
    check("confluent_kafka: records on all %d partitions" % PARTITIONS, len({p for _, p in delivered}) == PARTITIONS)

    consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "rf3-confluent-reader", "enable.auto.commit": False})
    consumer.assign([CkTopicPartition(CK_TOPIC, p, confluent_kafka.OFFSET_BEGINNING) for p in range(PARTITIONS)])
    got = set()
    idle = 0
    while len(got) < COUNT and idle < 20:
        msg = consumer.poll(1.0)
        if msg is None:
            idle += 1
        elif msg.error() is None:
            got.add(msg.value())
    consumer.close()
    check("confluent_kafka: all %d records read back" % COUNT, got == values(), len(got))


@section
def kafka_python_rf3():
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    resp = admin.create_topics([KpNewTopic(KP_TOPIC, PARTITIONS, 3)])
    check("kafka-python: create_topics with replication factor 3", all(e[1] == 0 for e in resp.topic_errors), resp.topic_errors)

    def described():
        return admin.describe_topics([KP_TOPIC])[0]["partitions"]

    def in_sync():
        parts = described()
        return len(parts) == PARTITIONS and all(sorted(p["replicas"]) == [0, 1, 2] and sorted(p["isr"]) == [0, 1, 2] for p in parts)
    check("kafka-python: %s has 3 partitions, each on replicas [0,1,2] with all 3 in the ISR" % KP_TOPIC, wait_until(in_sync, 30),
          [(p["partition"], p["replicas"], p["isr"]) for p in described()])
    res = admin.describe_configs([KpConfigResource(ConfigResourceType.TOPIC, KP_TOPIC, configs={"min.insync.replicas": None})])
    entries = {e[0]: e[1] for r in res for resource in r.resources for e in resource[4]}
    check("kafka-python: min.insync.replicas=2 (the cluster default)", entries.get("min.insync.replicas") == "2", entries)
    admin.close()

    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", retries=5)
    futures = [producer.send(KP_TOPIC, key=b"k%d" % i, value=b"v%d" % i) for i in range(COUNT)]
    producer.flush(60)
    metas = []
    errors = []
    for f in futures:
        try:
            metas.append(f.get(timeout=30))
        except Exception as e:  # noqa: BLE001
            errors.append(str(e))
    producer.close()
    check("kafka-python: %d records acknowledged with acks=all" % COUNT, len(metas) == COUNT, errors[:3])
    check("kafka-python: records on all %d partitions" % PARTITIONS, len({m.partition for m in metas}) == PARTITIONS)

    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, consumer_timeout_ms=10000, enable_auto_commit=False)
    consumer.assign([TopicPartition(KP_TOPIC, p) for p in range(PARTITIONS)])
    consumer.seek_to_beginning()
    got = set()
    for msg in consumer:
        got.add(msg.value)
        if len(got) == COUNT:
            break
    consumer.close()
    check("kafka-python: all %d records read back" % COUNT, got == values(), len(got))


finish("replication", info)
