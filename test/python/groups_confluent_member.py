#!/usr/bin/env python3
"""One confluent_kafka (librdkafka) group member, driven by a test.

Usage: groups_confluent_member.py BOOTSTRAP GROUP TOPIC[,TOPIC...] [key=value ...]
Options (key=value): session=6000, commit=sync|async|auto|none (after each message; default sync),
assignor=range|roundrobin|..., reset=earliest, and any librdkafka property as conf.<name>=<value>.

Prints JSON lines, flushed: {"event":"assign"|"revoke","partitions":[[topic,partition],...]},
{"event":"message","topic","partition","offset","value"}, {"event":"commit","ok","offsets"},
{"event":"error",...}, {"event":"closed"}. Reads commands on stdin, one a line:
  close                 -> consumer.close() (LeaveGroup), print closed, exit 0
  commit TOPIC P OFF    -> synchronous commit of one explicit offset, print committed
"""
import sys

from confluent_kafka import Consumer, KafkaError, TopicPartition

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from group_member_common import out, parse_args, run_member  # noqa: E402

BOOTSTRAP, GROUP, TOPICS, opts = parse_args()
commit_mode = opts.get("commit", "sync")

conf = {
    "bootstrap.servers": BOOTSTRAP,
    "group.id": GROUP,
    "session.timeout.ms": int(opts.get("session", "6000")),
    "heartbeat.interval.ms": 500,
    "auto.offset.reset": opts.get("reset", "earliest"),
    "enable.auto.commit": commit_mode == "auto",
    "auto.commit.interval.ms": 200,
    "topic.metadata.refresh.interval.ms": 2000,
}
if "assignor" in opts:
    conf["partition.assignment.strategy"] = opts["assignor"]
for k, v in opts.items():
    if k.startswith("conf."):
        conf[k[5:]] = v


def tps(partitions):
    return sorted([p.topic, p.partition] for p in partitions)


def offsets_of(partitions):
    return [[p.topic, p.partition, p.offset, p.error.code() if p.error else 0] for p in partitions]


def on_commit(err, partitions):
    out(event="commit", ok=err is None, error=str(err) if err else None, offsets=offsets_of(partitions))


conf["on_commit"] = on_commit
consumer = Consumer(conf)
consumer.subscribe(TOPICS,
                   on_assign=lambda c, ps: out(event="assign", partitions=tps(ps)),
                   on_revoke=lambda c, ps: out(event="revoke", partitions=tps(ps)))


def commit(topic, partition, offset):
    res = consumer.commit(offsets=[TopicPartition(topic, partition, offset)], asynchronous=False)
    out(event="committed", offsets=offsets_of(res))


def poll():
    msg = consumer.poll(0.1)
    if msg is None:
        return
    if msg.error():
        if msg.error().code() != KafkaError._PARTITION_EOF:
            out(event="error", where="poll", error=str(msg.error()))
        return
    out(event="message", topic=msg.topic(), partition=msg.partition(), offset=msg.offset(),
        value=msg.value().decode() if msg.value() is not None else None)
    if commit_mode == "sync":
        try:
            consumer.commit(message=msg, asynchronous=False)
        except Exception as e:  # noqa: BLE001
            out(event="error", where="commit", error=str(e))
    elif commit_mode == "async":
        consumer.commit(message=msg, asynchronous=True)


run_member(consumer.close, commit, poll)
