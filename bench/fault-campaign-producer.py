#!/usr/bin/env python3
"""An idempotent acks=all confluent_kafka (librdkafka) producer for bench/fault-campaign.ts.

Usage: fault-campaign-producer.py BOOTSTRAP TOPIC PARTITIONS RATE
Sends values "ck-p<partition>-<seq>" round-robin over the partitions at about RATE records/s
until stdin closes or SIGTERM, then flushes. Prints one line per delivery report:
"A <value>" when acknowledged, "F <value> <error>" when it failed.
"""
import signal
import sys
import time

from confluent_kafka import Producer

BOOTSTRAP, TOPIC, PARTITIONS, RATE = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
stopping = False


def stop(*_):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)
producer = Producer({
    "bootstrap.servers": BOOTSTRAP,
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 5,
    # Retries until the campaign's faults heal; a record fails only after this long.
    "message.timeout.ms": 120000,
    "topic.metadata.refresh.interval.ms": 2000,
})


def report(err, msg):
    value = msg.value().decode()
    print(("F %s %s" % (value, err.name())) if err else ("A " + value), flush=True)


seq = [0] * PARTITIONS
sent = 0
start = time.monotonic()
while not stopping:
    partition = sent % PARTITIONS
    value = "ck-p%d-%d" % (partition, seq[partition])
    try:
        producer.produce(TOPIC, value=value.encode(), partition=partition, on_delivery=report)
    except BufferError:
        producer.poll(0.1)
        continue
    seq[partition] += 1
    sent += 1
    # Paced to RATE; poll serves the delivery reports meanwhile.
    ahead = sent / RATE - (time.monotonic() - start)
    producer.poll(ahead if ahead > 0 else 0)
producer.flush(130)
print("DONE %d" % sent, flush=True)
