#!/usr/bin/env python3
"""confluent_kafka and kafka-python against a three-node Samsa cluster: both see the three
brokers, confluent_kafka creates a topic through one broker-only node and produces to leaders
on every node, kafka-python reads everything back through the other broker-only node, a topic
with two replicas has both in its ISR, and four replicas on three brokers are refused with
INVALID_REPLICATION_FACTOR.

Usage: multi_node_clients.py BOOTSTRAP_NODE1 BOOTSTRAP_NODE2
Prints one JSON summary line and exits non-zero if any check failed.
"""
import sys

import confluent_kafka
import kafka
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer, TopicPartition

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from client_checks import check, finish, section, wait_until  # noqa: E402

NODE1, NODE2 = sys.argv[1], sys.argv[2]
TOPIC = "py-multi"
COUNT = 300
info = {"confluent_kafka": confluent_kafka.version()[0], "kafka-python": kafka.__version__}
admin = AdminClient({"bootstrap.servers": NODE1})


@section
def brokers_and_create():
    md = admin.list_topics(timeout=20)
    check("confluent_kafka sees brokers 0, 1, 2", sorted(md.brokers) == [0, 1, 2], md.brokers)
    admin.create_topics([NewTopic(TOPIC, num_partitions=6, replication_factor=1)])[TOPIC].result(20)
    ok = wait_until(lambda: TOPIC in admin.list_topics(timeout=20).topics)
    check("create_topics through a broker-only node", ok)
    parts = admin.list_topics(topic=TOPIC, timeout=20).topics[TOPIC].partitions
    leaders = sorted({p.leader for p in parts.values()})
    check("partition leaders on all three brokers", leaders == [0, 1, 2], leaders)
    admin.create_topics([NewTopic("py-rf2", num_partitions=1, replication_factor=2)])["py-rf2"].result(20)
    ok = wait_until(lambda: "py-rf2" in admin.list_topics(timeout=20).topics)
    p0 = admin.list_topics(topic="py-rf2", timeout=20).topics["py-rf2"].partitions[0]
    check("replication factor 2: two replicas, both in sync", ok and len(p0.replicas) == 2 and sorted(p0.isrs) == sorted(p0.replicas), (p0.replicas, p0.isrs))
    try:
        admin.create_topics([NewTopic("py-rf4", num_partitions=1, replication_factor=4)])["py-rf4"].result(20)
        check("replication factor 4 on three brokers -> INVALID_REPLICATION_FACTOR", False, "created")
    except KafkaException as e:
        code = e.args[0].code()
        check("replication factor 4 on three brokers -> INVALID_REPLICATION_FACTOR", code == KafkaError.INVALID_REPLICATION_FACTOR, KafkaError(code).name())


@section
def produce_and_consume():
    producer = Producer({"bootstrap.servers": NODE2, "enable.idempotence": True, "acks": "all"})
    delivered = []
    for i in range(COUNT):
        producer.produce(TOPIC, key=b"k%d" % i, value=b"v%d" % i, on_delivery=lambda err, msg: delivered.append((err, msg.partition())))
    producer.flush(30)
    check("confluent_kafka: all %d delivered without error" % COUNT, len(delivered) == COUNT and all(e is None for e, _ in delivered),
          [str(e) for e, _ in delivered if e is not None][:3])
    check("confluent_kafka: spread over 6 partitions", len({p for _, p in delivered}) == 6)

    consumer = KafkaConsumer(bootstrap_servers=NODE1, consumer_timeout_ms=5000)
    tps = [TopicPartition(TOPIC, p) for p in range(6)]
    consumer.assign(tps)
    consumer.seek_to_beginning()
    values = set()
    for msg in consumer:
        values.add(msg.value)
        if len(values) == COUNT:
            break
    consumer.close()
    check("kafka-python: read all %d back through another node" % COUNT, values == {b"v%d" % i for i in range(COUNT)}, len(values))


finish("multi-node", info)
