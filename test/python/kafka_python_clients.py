#!/usr/bin/env python3
"""kafka-python (2.0) against a Samsa broker: admin, producer (per codec), assign-mode consumer.

Usage: kafka_python_clients.py BOOTSTRAP
Prints one JSON summary line {"ok": ..., "passed": [...], "failed": [...], "skipped": [...]}
and exits non-zero if any check failed. Expects a fresh broker started with num.partitions=2.
"""
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka import codec as kcodec
from kafka import errors as Errors
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from client_checks import check, failed, finish, passed, section, skipped, wait_until  # noqa: E402

BOOTSTRAP = sys.argv[1]
info = {}


def expect_raises(name, err_type, fn):
    try:
        fn()
    except err_type:
        passed.append(name)
        return
    except Exception as e:  # noqa: BLE001
        failed.append("%s: expected %s, got %s: %s" % (name, err_type.__name__, type(e).__name__, e))
        return
    failed.append("%s: expected %s, nothing raised" % (name, err_type.__name__))


def configs_of(responses):
    """{name: (value, source, synonyms)} from DescribeConfigs responses (any version)."""
    out = {}
    for resp in responses:
        for res in resp.resources:
            error_code, error_message, _rtype, _rname, entries = res
            if error_code != 0:
                raise Errors.for_code(error_code)(error_message)
            for e in entries:
                if resp.API_VERSION == 0:
                    name, value, _ro, is_default, _sens = e
                    out[name] = (value, 5 if is_default else None, [])
                else:
                    name, value, _ro, source, _sens, synonyms = e
                    out[name] = (value, source, [(s[0], s[1], s[2]) for s in synonyms])
    return out


admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id="kp-admin", request_timeout_ms=15000)
info["api_version"] = ".".join(map(str, admin.config["api_version"]))


@section
def admin_create_topics():
    resp = admin.create_topics([
        NewTopic("kp-admin", 2, 1, topic_configs={"retention.ms": "3600000", "cleanup.policy": "compact"}),
        NewTopic("kp-data", 1, 1),
    ])
    check("create_topics no errors", all(e[1] == 0 for e in resp.topic_errors), resp.topic_errors)
    resp = admin.create_topics([NewTopic("kp-validate-only", 3, 1)], validate_only=True)
    check("create_topics validate_only no error", all(e[1] == 0 for e in resp.topic_errors), resp.topic_errors)
    expect_raises("create_topics bad name -> InvalidTopicError", Errors.InvalidTopicError,
                  lambda: admin.create_topics([NewTopic("bad name!", 1, 1)]))
    expect_raises("create_topics '..' -> InvalidTopicError", Errors.InvalidTopicError,
                  lambda: admin.create_topics([NewTopic("..", 1, 1)]))
    expect_raises("create_topics duplicate -> TopicAlreadyExistsError", Errors.TopicAlreadyExistsError,
                  lambda: admin.create_topics([NewTopic("kp-admin", 1, 1)]))
    expect_raises("create_topics replication 3 on one broker -> InvalidReplicationFactorError",
                  Errors.InvalidReplicationFactorError, lambda: admin.create_topics([NewTopic("kp-rf3", 1, 3)]))
    expect_raises("create_topics bad config value -> InvalidConfigurationError", Errors.InvalidConfigurationError,
                  lambda: admin.create_topics([NewTopic("kp-badcfg", 1, 1, topic_configs={"retention.ms": "soon"})]))


@section
def admin_list_and_describe_topics():
    topics = admin.list_topics()
    check("list_topics has kp-admin and kp-data", {"kp-admin", "kp-data"} <= set(topics), topics)
    check("list_topics lacks validate-only topic", "kp-validate-only" not in topics, topics)
    check("list_topics lacks failed topics", not ({"bad name!", "kp-rf3", "kp-badcfg"} & set(topics)), topics)
    desc = {t["topic"]: t for t in admin.describe_topics(["kp-admin"])}
    parts = desc["kp-admin"]["partitions"]
    check("describe_topics kp-admin 2 partitions", len(parts) == 2, parts)
    check("describe_topics leader 0, replicas [0], isr [0]",
          all(p["leader"] == 0 and list(p["replicas"]) == [0] and list(p["isr"]) == [0] for p in parts), parts)
    cluster = admin.describe_cluster()
    check("describe_cluster controller 0", cluster.get("controller_id") == 0, cluster)
    check("describe_cluster one broker node 0", [b["node_id"] for b in cluster["brokers"]] == [0], cluster)


@section
def admin_describe_configs():
    cfg = configs_of(admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-admin")]))
    check("topic retention.ms override", cfg.get("retention.ms", (None,))[0] == "3600000", cfg.get("retention.ms"))
    check("topic retention.ms source DYNAMIC_TOPIC_CONFIG(1)", cfg.get("retention.ms", (0, 0))[1] in (1, None),
          cfg.get("retention.ms"))
    check("topic cleanup.policy override", cfg.get("cleanup.policy", (None,))[0] == "compact", cfg.get("cleanup.policy"))
    check("topic segment.bytes default 1073741824", cfg.get("segment.bytes", (None,))[0] == "1073741824",
          cfg.get("segment.bytes"))
    check("topic segment.bytes source DEFAULT_CONFIG(5)", cfg.get("segment.bytes", (0, 0))[1] == 5, cfg.get("segment.bytes"))
    check("topic max.message.bytes present", "max.message.bytes" in cfg, sorted(cfg)[:20])

    # Only the named keys when asked for some.
    only = configs_of(admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-admin",
                                                             configs={"retention.ms": None})]))
    check("describe_configs filter by name", list(only) == ["retention.ms"], list(only))

    syn = configs_of(admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-admin")], include_synonyms=True))
    rs = syn.get("retention.ms", (None, None, []))[2]
    check("retention.ms synonyms start with the topic override", bool(rs) and rs[0][0] == "retention.ms"
          and rs[0][1] == "3600000" and rs[0][2] == 1, rs)
    sb = syn.get("segment.bytes", (None, None, []))[2]
    check("segment.bytes synonyms include log.segment.bytes default", any(s[0] == "log.segment.bytes" and s[2] == 5 for s in sb), sb)

    broker = configs_of(admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "0")]))
    check("broker num.partitions=2 (static)", broker.get("num.partitions", (None,))[0] == "2", broker.get("num.partitions"))
    check("broker num.partitions source STATIC_BROKER_CONFIG(4)", broker.get("num.partitions", (0, 0))[1] in (4, None),
          broker.get("num.partitions"))
    check("broker log.retention.hours default 168", broker.get("log.retention.hours", (None,))[0] == "168",
          broker.get("log.retention.hours"))
    check("broker log.retention.hours source DEFAULT_CONFIG(5)", broker.get("log.retention.hours", (0, 0))[1] in (5, None),
          broker.get("log.retention.hours"))

    expect_raises("describe_configs unknown topic -> UnknownTopicOrPartitionError", Errors.UnknownTopicOrPartitionError,
                  lambda: configs_of(admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-nope")])))


@section
def admin_alter_configs():
    resp = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-admin", configs={"retention.ms": "7200000"})])
    codes = [r[0] for r in resp.resources]
    check("alter_configs no error", codes == [0], resp.resources)
    cfg = configs_of(admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-admin")]))
    check("alter_configs set retention.ms", cfg.get("retention.ms", (None,))[0] == "7200000", cfg.get("retention.ms"))
    # AlterConfigs (not incremental) replaces the whole override set: cleanup.policy is back to its default.
    check("alter_configs dropped the unspecified cleanup.policy override",
          cfg.get("cleanup.policy", (None,))[0] == "delete" and cfg.get("cleanup.policy", (0, 0))[1] in (5, None),
          cfg.get("cleanup.policy"))
    bad = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-admin", configs={"retention.ms": "forever"})])
    check("alter_configs bad value -> INVALID_CONFIG(40)", [r[0] for r in bad.resources] == [40], bad.resources)
    unknown = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-admin", configs={"no.such.config": "1"})])
    check("alter_configs unknown name -> INVALID_CONFIG(40)", [r[0] for r in unknown.resources] == [40], unknown.resources)
    missing = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-nope", configs={"retention.ms": "1"})])
    check("alter_configs unknown topic -> UNKNOWN_TOPIC_OR_PARTITION(3)", [r[0] for r in missing.resources] == [3],
          missing.resources)
    cfg = configs_of(admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-admin")]))
    check("failed alter_configs changed nothing", cfg.get("retention.ms", (None,))[0] == "7200000", cfg.get("retention.ms"))


@section
def admin_create_partitions():
    admin.create_partitions({"kp-admin": NewPartitions(4)})
    parts = wait_until(lambda: len(admin.describe_topics(["kp-admin"])[0]["partitions"]) == 4)
    check("create_partitions to 4", parts, admin.describe_topics(["kp-admin"]))
    expect_raises("create_partitions decrease -> InvalidPartitionsError", Errors.InvalidPartitionsError,
                  lambda: admin.create_partitions({"kp-admin": NewPartitions(2)}))
    expect_raises("create_partitions unknown topic -> UnknownTopicOrPartitionError", Errors.UnknownTopicOrPartitionError,
                  lambda: admin.create_partitions({"kp-nope": NewPartitions(2)}))
    admin.create_partitions({"kp-admin": NewPartitions(6)}, validate_only=True)
    check("create_partitions validate_only changed nothing",
          len(admin.describe_topics(["kp-admin"])[0]["partitions"]) == 4, admin.describe_topics(["kp-admin"]))


CODECS = [(None, True), ("gzip", kcodec.has_gzip()), ("snappy", kcodec.has_snappy()), ("lz4", kcodec.has_lz4()),
          ("zstd", kcodec.has_zstd())]
N = 100
produced = {}


@section
def producer_per_codec():
    for codec, available in CODECS:
        name = codec or "none"
        if not available:
            skipped.append("producer %s: codec library not installed for kafka-python" % name)
            continue
        topic = "kp-codec-%s" % name  # auto-created by the producer's metadata request
        producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", compression_type=codec, linger_ms=5,
                                 retries=3, request_timeout_ms=15000)
        futures = [producer.send(topic, key=b"k%d" % i, value=(b"v%d-" % i) + b"z" * (i % 40), partition=0,
                                 headers=[("h", b"1"), ("i", b"%d" % i)]) for i in range(N)]
        producer.flush(30)
        metas = [f.get(timeout=30) for f in futures]
        producer.close(10)
        check("producer %s: offsets 0..%d in order" % (name, N - 1), [m.offset for m in metas] == list(range(N)),
              [m.offset for m in metas][:10])
        check("producer %s: partition 0" % name, all(m.partition == 0 for m in metas), "")
        produced[name] = topic


@section
def consumer_assign_and_seek():
    for name, topic in produced.items():
        tp = TopicPartition(topic, 0)
        consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=None, enable_auto_commit=False,
                                 auto_offset_reset="none", request_timeout_ms=15000)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        records = []
        deadline = time.time() + 20
        while len(records) < N and time.time() < deadline:
            for recs in consumer.poll(timeout_ms=500).values():
                records.extend(recs)
        check("consumer %s: read %d records" % (name, N), len(records) == N, len(records))
        check("consumer %s: offsets in order" % name, [r.offset for r in records] == list(range(len(records))), "")
        check("consumer %s: keys/values" % name,
              all(r.key == b"k%d" % r.offset and r.value == (b"v%d-" % r.offset) + b"z" * (r.offset % 40) for r in records),
              records[:1])
        check("consumer %s: headers" % name,
              all(list(r.headers) == [("h", b"1"), ("i", b"%d" % r.offset)] for r in records), records[:1])

        consumer.seek(tp, 57)
        got = []
        deadline = time.time() + 10
        while not got and time.time() < deadline:
            for recs in consumer.poll(timeout_ms=500).values():
                got.extend(recs)
        check("consumer %s: seek(57) starts at 57" % name, bool(got) and got[0].offset == 57 and got[0].key == b"k57",
              got[:1])

        check("consumer %s: beginning_offsets" % name, consumer.beginning_offsets([tp]) == {tp: 0},
              consumer.beginning_offsets([tp]))
        check("consumer %s: end_offsets" % name, consumer.end_offsets([tp]) == {tp: N}, consumer.end_offsets([tp]))
        later = consumer.offsets_for_times({tp: int(time.time() * 1000) + 3600_000})
        check("consumer %s: offsets_for_times(future) -> None" % name, later == {tp: None}, later)
        first = records[0].timestamp if records else 0
        early = consumer.offsets_for_times({tp: first})
        check("consumer %s: offsets_for_times(first ts) -> 0" % name, early[tp] is not None and early[tp].offset == 0, early)
        consumer.close()


@section
def admin_delete_topics():
    admin.delete_topics(["kp-admin"])
    gone = wait_until(lambda: "kp-admin" not in admin.list_topics())
    check("delete_topics removes kp-admin", gone, admin.list_topics())
    expect_raises("delete_topics unknown -> UnknownTopicOrPartitionError", Errors.UnknownTopicOrPartitionError,
                  lambda: admin.delete_topics(["kp-admin"]))
    # The name can be reused at once, with a fresh, empty log.
    admin.create_topics([NewTopic("kp-admin", 1, 1)])
    check("recreate after delete", "kp-admin" in admin.list_topics(), admin.list_topics())
    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=None, enable_auto_commit=False)
    tp = TopicPartition("kp-admin", 0)
    check("recreated topic is empty", consumer.end_offsets([tp]) == {tp: 0}, consumer.end_offsets([tp]))
    consumer.close()


admin.close()
finish("kafka-python", info)
