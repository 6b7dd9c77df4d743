#!/usr/bin/env python3
"""confluent_kafka AdminClient group APIs against a Samsa broker; prints one JSON line.

Usage:
  groups_confluent_admin.py BOOTSTRAP methods
      -> {"methods": [...group methods this confluent_kafka has...]}
  groups_confluent_admin.py BOOTSTRAP list_groups [GROUP]
      -> {"groups": [{id, error, state, protocol_type, protocol, members: [...]}]}
         (AdminClient.list_groups: librdkafka's ListGroups + DescribeGroups)
  groups_confluent_admin.py BOOTSTRAP new_apis GROUP TOPIC PARTITIONS
      -> {"results": {...}, "skipped": [...]} running list_consumer_groups,
         describe_consumer_groups, list_consumer_group_offsets, alter_consumer_group_offsets
         and delete_consumer_groups where this confluent_kafka has them (they appeared after
         1.7.0); GROUP must be empty with committed offsets on TOPIC.
"""
import json
import sys

from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient

GROUP_METHODS = ["list_groups", "list_consumer_groups", "describe_consumer_groups", "list_consumer_group_offsets",
                 "alter_consumer_group_offsets", "delete_consumer_groups"]
BOOTSTRAP, CMD = sys.argv[1], sys.argv[2]
admin = AdminClient({"bootstrap.servers": BOOTSTRAP})


def hexs(b):
    return b.hex() if b is not None else None


if CMD == "methods":
    print(json.dumps({"methods": [m for m in GROUP_METHODS if hasattr(admin, m)]}))
elif CMD == "list_groups":
    group = sys.argv[3] if len(sys.argv) > 3 else None
    gs = admin.list_groups(group, timeout=15) if group else admin.list_groups(timeout=15)
    print(json.dumps({"groups": [{
        "id": g.id, "error": g.error.code() if g.error else 0, "state": g.state,
        "protocol_type": g.protocol_type, "protocol": g.protocol,
        "members": [{"id": m.id, "client_id": m.client_id, "client_host": m.client_host,
                     "metadata": hexs(m.metadata), "assignment": hexs(m.assignment)} for m in g.members],
    } for g in gs]}))
elif CMD == "new_apis":
    group, topic, n = sys.argv[3], sys.argv[4], int(sys.argv[5])
    results, skipped = {}, []

    def attempt(name, fn):
        if not hasattr(admin, name):
            skipped.append("%s: not in confluent_kafka %s" % (name, __import__("confluent_kafka").version()[0]))
            return
        try:
            results[name] = fn()
        except Exception as e:  # noqa: BLE001
            results[name] = {"exception": "%s: %s" % (type(e).__name__, e)}

    def list_cg():
        r = admin.list_consumer_groups().result(15)
        return [{"id": g.group_id, "state": str(g.state)} for g in r.valid]

    def describe_cg():
        d = admin.describe_consumer_groups([group])[group].result(15)
        return {"id": d.group_id, "state": str(d.state), "members": len(d.members)}

    def group_tp(**kw):
        from confluent_kafka import ConsumerGroupTopicPartitions
        return ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p, **kw) for p in range(n)])

    def list_offsets():
        r = admin.list_consumer_group_offsets([group_tp()])[group].result(15)
        return sorted([p.partition, p.offset] for p in r.topic_partitions)

    def alter_offsets():
        from confluent_kafka import ConsumerGroupTopicPartitions
        req = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p, 1) for p in range(n)])
        admin.alter_consumer_group_offsets([req])[group].result(15)
        return list_offsets()

    def delete_cg():
        admin.delete_consumer_groups([group])[group].result(15)
        return [g["id"] for g in list_cg()]

    attempt("list_consumer_groups", list_cg)
    attempt("describe_consumer_groups", describe_cg)
    attempt("list_consumer_group_offsets", list_offsets)
    attempt("alter_consumer_group_offsets", alter_offsets)
    attempt("delete_consumer_groups", delete_cg)
    print(json.dumps({"results": results, "skipped": skipped}))
