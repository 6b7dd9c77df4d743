#!/usr/bin/env python3
"""One kafka-python KafkaConsumer group member, driven by a test.

Usage: groups_kafka_python_member.py BOOTSTRAP GROUP TOPIC[,TOPIC...] [key=value ...]
Options: session=6000, commit=sync|auto|none (sync: commit() after each poll batch),
client_id=..., assignor=range|roundrobin.

Prints JSON lines, flushed: {"event":"assign"|"revoke","partitions":[[topic,p],...]},
{"event":"message","topic","partition","offset","value"}, {"event":"committed",...},
{"event":"error",...}, {"event":"closed"}. Commands on stdin, one a line:
  close               -> consumer.close() (LeaveGroup), print closed, exit 0
  commit TOPIC P OFF  -> synchronous commit of one explicit offset
"""
import sys

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.structs import OffsetAndMetadata

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from group_member_common import out, parse_args, run_member  # noqa: E402

BOOTSTRAP, GROUP, TOPICS, opts = parse_args()
commit_mode = opts.get("commit", "sync")


def describe_error(e):
    return "%s: %s" % (type(e).__name__, e)


class Listener(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        out(event="revoke", partitions=sorted([tp.topic, tp.partition] for tp in revoked))

    def on_partitions_assigned(self, assigned):
        out(event="assign", partitions=sorted([tp.topic, tp.partition] for tp in assigned))


assignors = {"range": [RangePartitionAssignor], "roundrobin": [RoundRobinPartitionAssignor]}
consumer = KafkaConsumer(
    bootstrap_servers=BOOTSTRAP,
    group_id=GROUP,
    client_id=opts.get("client_id", "kafka-python"),
    session_timeout_ms=int(opts.get("session", "6000")),
    heartbeat_interval_ms=500,
    max_poll_interval_ms=10000,
    # kafka-python requires request_timeout_ms > session_timeout_ms (and a JoinGroup may wait
    # up to max_poll_interval_ms, the rebalance timeout).
    request_timeout_ms=max(15000, int(opts.get("session", "6000")) + 5000),
    auto_offset_reset="earliest",
    enable_auto_commit=commit_mode == "auto",
    auto_commit_interval_ms=200,
    metadata_max_age_ms=2000,
    partition_assignment_strategy=assignors.get(opts.get("assignor", "range"), [RangePartitionAssignor]),
)
consumer.subscribe(TOPICS, listener=Listener())


def commit(topic, partition, offset):
    consumer.commit({TopicPartition(topic, partition): OffsetAndMetadata(offset, None)})
    out(event="committed", offsets=[[topic, partition, offset]])


def poll():
    try:
        batches = consumer.poll(timeout_ms=100)
    except Exception as e:  # noqa: BLE001
        out(event="error", where="poll", error=describe_error(e))
        return
    n = 0
    for tp, records in batches.items():
        for r in records:
            n += 1
            out(event="message", topic=r.topic, partition=r.partition, offset=r.offset,
                value=r.value.decode() if r.value is not None else None)
    if n and commit_mode == "sync":
        try:
            consumer.commit()
        except Exception as e:  # noqa: BLE001
            out(event="error", where="commit", error=describe_error(e))


run_member(lambda: consumer.close(autocommit=commit_mode == "auto"), commit, poll, describe_error)
