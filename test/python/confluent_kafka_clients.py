#!/usr/bin/env python3
"""confluent_kafka (librdkafka) against a Samsa broker: idempotent producer with delivery
reports, assign-mode consumer, AdminClient.

Usage: confluent_kafka_clients.py BOOTSTRAP
Prints one JSON summary line {"ok": ..., "passed": [...], "failed": [...], "skipped": [...]}
and exits non-zero if any check failed. Expects a fresh broker started with num.partitions=2.
APIs the installed confluent_kafka lacks (describe_cluster, delete_records, list_offsets,
incremental_alter_configs) are skipped and listed in "skipped".
"""
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewPartitions, NewTopic

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from client_checks import check, finish, section, skipped, wait_until  # noqa: E402

BOOTSTRAP = sys.argv[1]
info = {"confluent_kafka": confluent_kafka.version()[0], "librdkafka": confluent_kafka.libversion()[0]}
TIMEOUT = 20


def error_code(fn):
    """The KafkaError code fn() raised, or None if it returned normally."""
    try:
        fn()
    except KafkaException as e:
        return e.args[0].code()
    return None


def expect_error(name, code, fn):
    got = error_code(fn)
    check(name, got == code, "expected %s, got %s" % (KafkaError(code).name() if code is not None else None,
                                                      KafkaError(got).name() if got is not None else None))


def synonyms_of(entry):
    s = entry.synonyms
    return list(s.values()) if isinstance(s, dict) else list(s)


def src(entry):
    return entry.source if isinstance(entry.source, ConfigSource) else ConfigSource(entry.source)


admin = AdminClient({"bootstrap.servers": BOOTSTRAP})


def create(topics, **kw):
    futs = admin.create_topics(topics, request_timeout=TIMEOUT, **kw)
    for f in futs.values():
        f.result(TIMEOUT)


def topics_now():
    return admin.list_topics(timeout=TIMEOUT).topics


def describe(resource):
    return list(admin.describe_configs([resource], request_timeout=TIMEOUT).values())[0].result(TIMEOUT)


@section
def admin_create_topics():
    create([NewTopic("ck-admin", num_partitions=2, replication_factor=1,
                     config={"retention.ms": "3600000", "cleanup.policy": "compact"}),
            NewTopic("ck-data", num_partitions=2, replication_factor=1)])
    create([NewTopic("ck-assigned", num_partitions=3, replication_factor=-1, replica_assignment=[[0], [0], [0]])])
    t = topics_now()
    check("create_topics created ck-admin/ck-data", {"ck-admin", "ck-data"} <= set(t), list(t))
    check("replica_assignment gave 3 partitions", "ck-assigned" in t and len(t["ck-assigned"].partitions) == 3,
          t.get("ck-assigned"))
    create([NewTopic("ck-validate", num_partitions=1, replication_factor=1)], validate_only=True)
    check("validate_only creates nothing", "ck-validate" not in topics_now(), list(topics_now()))
    expect_error("validate_only duplicate -> TOPIC_ALREADY_EXISTS", KafkaError.TOPIC_ALREADY_EXISTS,
                 lambda: create([NewTopic("ck-admin", num_partitions=1, replication_factor=1)], validate_only=True))
    expect_error("duplicate -> TOPIC_ALREADY_EXISTS", KafkaError.TOPIC_ALREADY_EXISTS,
                 lambda: create([NewTopic("ck-admin", num_partitions=1, replication_factor=1)]))
    expect_error("bad name -> TOPIC_EXCEPTION (InvalidTopicException)", KafkaError.TOPIC_EXCEPTION,
                 lambda: create([NewTopic("bad/name", num_partitions=1, replication_factor=1)]))
    expect_error("name too long -> TOPIC_EXCEPTION", KafkaError.TOPIC_EXCEPTION,
                 lambda: create([NewTopic("x" * 250, num_partitions=1, replication_factor=1)]))
    expect_error("replication factor 2 on one broker -> INVALID_REPLICATION_FACTOR", KafkaError.INVALID_REPLICATION_FACTOR,
                 lambda: create([NewTopic("ck-rf2", num_partitions=1, replication_factor=2)]))
    expect_error("0 partitions -> INVALID_PARTITIONS", KafkaError.INVALID_PARTITIONS,
                 lambda: create([NewTopic("ck-p0", num_partitions=0, replication_factor=1)]))
    expect_error("unknown config -> INVALID_CONFIG", KafkaError.INVALID_CONFIG,
                 lambda: create([NewTopic("ck-badcfg", num_partitions=1, replication_factor=1, config={"nope.nope": "1"})]))
    expect_error("validate_only bad config value -> INVALID_CONFIG", KafkaError.INVALID_CONFIG,
                 lambda: create([NewTopic("ck-badcfg", num_partitions=1, replication_factor=1,
                                          config={"cleanup.policy": "shred"})], validate_only=True))
    check("failed creates left nothing behind",
          not ({"bad/name", "ck-rf2", "ck-p0", "ck-badcfg"} & set(topics_now())), list(topics_now()))


@section
def admin_list_topics_and_cluster():
    md = admin.list_topics(timeout=TIMEOUT)
    check("one broker, id 0", list(md.brokers) == [0], md.brokers)
    b = md.brokers.get(0)
    check("broker address is the listener", b is not None and "%s:%d" % (b.host, b.port) == BOOTSTRAP, b)
    check("controller 0", md.controller_id == 0, md.controller_id)
    check("cluster id present", bool(md.cluster_id), md.cluster_id)
    t = md.topics.get("ck-admin")
    check("ck-admin metadata ok", t is not None and t.error is None and sorted(t.partitions) == [0, 1], t)
    if t is not None:
        check("partitions led by 0 with replicas/isr [0]",
              all(p.leader == 0 and list(p.replicas) == [0] and list(p.isrs) == [0] and p.error is None
                  for p in t.partitions.values()), t.partitions)
    if hasattr(admin, "describe_cluster"):
        res = admin.describe_cluster(request_timeout=TIMEOUT).result(TIMEOUT)
        check("describe_cluster nodes [0]", [n.id for n in res.nodes] == [0], res.nodes)
        check("describe_cluster controller 0", res.controller is not None and res.controller.id == 0, res.controller)
        check("describe_cluster cluster id matches metadata", res.cluster_id == md.cluster_id, res.cluster_id)
    else:
        skipped.append("describe_cluster: not in confluent_kafka %s" % info["confluent_kafka"])


@section
def admin_describe_configs():
    cfg = describe(ConfigResource("topic", "ck-admin"))
    r = cfg.get("retention.ms")
    check("retention.ms override value", r is not None and r.value == "3600000", r)
    if r is not None:
        check("retention.ms source DYNAMIC_TOPIC_CONFIG", src(r) == ConfigSource.DYNAMIC_TOPIC_CONFIG, src(r))
        check("retention.ms not default", not r.is_default, r.is_default)
        syn = {(s.name, src(s)) for s in synonyms_of(r)}
        # As Apache Kafka 3.9 answers: only the override. Its broker synonyms start at
        # log.retention.ms, which has no default, so ConfigHelper drops log.retention.hours.
        check("retention.ms synonyms: the topic override only",
              syn == {("retention.ms", ConfigSource.DYNAMIC_TOPIC_CONFIG)}, syn)
    c = cfg.get("cleanup.policy")
    check("cleanup.policy override", c is not None and c.value == "compact"
          and src(c) == ConfigSource.DYNAMIC_TOPIC_CONFIG, c)
    s = cfg.get("segment.bytes")
    check("segment.bytes default", s is not None and s.value == "1073741824" and src(s) == ConfigSource.DEFAULT_CONFIG
          and s.is_default, s and (s.value, src(s), s.is_default))
    if s is not None:
        syn = {(x.name, src(x)) for x in synonyms_of(s)}
        check("segment.bytes synonym log.segment.bytes default", ("log.segment.bytes", ConfigSource.DEFAULT_CONFIG) in syn, syn)
    check("topic configs include min.insync.replicas", "min.insync.replicas" in cfg, sorted(cfg))

    bcfg = describe(ConfigResource("broker", "0"))
    n = bcfg.get("num.partitions")
    check("broker num.partitions=2 STATIC_BROKER_CONFIG", n is not None and n.value == "2"
          and src(n) == ConfigSource.STATIC_BROKER_CONFIG, n and (n.value, src(n)))
    h = bcfg.get("log.retention.hours")
    check("broker log.retention.hours=168 DEFAULT_CONFIG", h is not None and h.value == "168"
          and src(h) == ConfigSource.DEFAULT_CONFIG, h and (h.value, src(h)))
    expect_error("describe_configs unknown topic -> UNKNOWN_TOPIC_OR_PART", KafkaError.UNKNOWN_TOPIC_OR_PART,
                 lambda: describe(ConfigResource("topic", "ck-nope")))


@section
def admin_alter_configs():
    res = ConfigResource("topic", "ck-admin", set_config={"retention.ms": "7200000", "cleanup.policy": "compact"})
    list(admin.alter_configs([res], request_timeout=TIMEOUT).values())[0].result(TIMEOUT)
    cfg = describe(ConfigResource("topic", "ck-admin"))
    check("alter_configs set retention.ms", cfg["retention.ms"].value == "7200000", cfg["retention.ms"].value)
    res = ConfigResource("topic", "ck-admin", set_config={"retention.ms": "-5x"})
    expect_error("alter_configs bad value -> INVALID_CONFIG", KafkaError.INVALID_CONFIG,
                 lambda: list(admin.alter_configs([res], request_timeout=TIMEOUT).values())[0].result(TIMEOUT))
    res = ConfigResource("topic", "ck-admin", set_config={"retention.ms": "1000"})
    list(admin.alter_configs([res], validate_only=True, request_timeout=TIMEOUT).values())[0].result(TIMEOUT)
    check("alter_configs validate_only changed nothing",
          describe(ConfigResource("topic", "ck-admin"))["retention.ms"].value == "7200000", "")

    if hasattr(admin, "incremental_alter_configs"):
        from confluent_kafka.admin import AlterConfigOpType, ConfigEntry
        res = ConfigResource("topic", "ck-admin", incremental_configs=[
            ConfigEntry("retention.ms", "9000000", incremental_operation=AlterConfigOpType.SET),
            ConfigEntry("cleanup.policy", None, incremental_operation=AlterConfigOpType.DELETE)])
        list(admin.incremental_alter_configs([res]).values())[0].result(TIMEOUT)
        cfg = describe(ConfigResource("topic", "ck-admin"))
        check("incremental SET retention.ms", cfg["retention.ms"].value == "9000000", cfg["retention.ms"].value)
        check("incremental DELETE cleanup.policy -> default", cfg["cleanup.policy"].value == "delete"
              and src(cfg["cleanup.policy"]) == ConfigSource.DEFAULT_CONFIG, cfg["cleanup.policy"])
    else:
        skipped.append("incremental_alter_configs: not in confluent_kafka %s" % info["confluent_kafka"])


@section
def admin_create_partitions():
    for f in admin.create_partitions([NewPartitions("ck-admin", 3)], request_timeout=TIMEOUT).values():
        f.result(TIMEOUT)
    check("create_partitions to 3", wait_until(lambda: len(topics_now()["ck-admin"].partitions) == 3),
          topics_now()["ck-admin"].partitions)
    expect_error("create_partitions same count -> INVALID_PARTITIONS", KafkaError.INVALID_PARTITIONS,
                 lambda: [f.result(TIMEOUT) for f in admin.create_partitions([NewPartitions("ck-admin", 3)]).values()])
    expect_error("create_partitions unknown topic -> UNKNOWN_TOPIC_OR_PART", KafkaError.UNKNOWN_TOPIC_OR_PART,
                 lambda: [f.result(TIMEOUT) for f in admin.create_partitions([NewPartitions("ck-nope", 3)]).values()])
    for f in admin.create_partitions([NewPartitions("ck-admin", 8)], validate_only=True).values():
        f.result(TIMEOUT)
    check("create_partitions validate_only changed nothing", len(topics_now()["ck-admin"].partitions) == 3, "")


N = 200
delivered = {}  # codec -> {partition: [offsets in delivery order]}


@section
def idempotent_producer():
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
        topic = "ck-codec-%s" % codec
        create([NewTopic(topic, num_partitions=2, replication_factor=1)])
        errors, offsets = [], {0: [], 1: []}
        order = {0: [], 1: []}

        def on_delivery(err, msg, offsets=offsets, errors=errors, order=order):
            if err is not None:
                errors.append(str(err))
            else:
                offsets[msg.partition()].append(msg.offset())
                order[msg.partition()].append(msg.key())

        p = Producer({"bootstrap.servers": BOOTSTRAP, "enable.idempotence": True, "acks": "all",
                      "compression.type": codec, "linger.ms": 5, "message.timeout.ms": 20000})
        for i in range(N):
            p.produce(topic, key=b"k%d" % i, value=(b"v%d-" % i) + b"q" * (i % 64), partition=i % 2,
                      headers=[("n", b"%d" % i), ("codec", codec.encode())], on_delivery=on_delivery)
            if i % 50 == 0:
                p.poll(0)
        left = p.flush(30)
        check("producer %s: all delivered" % codec, left == 0 and not errors, "left=%d errors=%s" % (left, errors[:3]))
        for part in (0, 1):
            check("producer %s: partition %d offsets contiguous from 0" % (codec, part),
                  offsets[part] == list(range(N // 2)), offsets[part][:10])
            check("producer %s: partition %d delivered in produce order" % (codec, part),
                  order[part] == [b"k%d" % i for i in range(part, N, 2)], order[part][:5])
        delivered[codec] = offsets


def consume_all(topic, partitions, start, expect):
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "ck-assign-only", "enable.auto.commit": False,
                  "enable.partition.eof": True, "auto.offset.reset": "error"})
    c.assign([TopicPartition(topic, p, start) for p in partitions])
    msgs, eof, errors = [], set(), []
    deadline = time.time() + TIMEOUT
    while len(eof) < len(partitions) and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof.add(m.partition())
            else:
                errors.append(str(m.error()))
            continue
        msgs.append(m)
    c.close()
    return msgs, errors


@section
def assign_consumer():
    from confluent_kafka import OFFSET_BEGINNING
    for codec, offsets in delivered.items():
        topic = "ck-codec-%s" % codec
        msgs, errors = consume_all(topic, [0, 1], OFFSET_BEGINNING, N)
        check("consumer %s: no errors" % codec, not errors, errors[:3])
        check("consumer %s: read all %d" % (codec, N), len(msgs) == N, len(msgs))
        ok = True
        for part in (0, 1):
            mine = [m for m in msgs if m.partition() == part]
            if [m.offset() for m in mine] != offsets[part]:
                ok = False
            for m in mine:
                i = int(m.key()[1:])
                if m.value() != (b"v%d-" % i) + b"q" * (i % 64) or i % 2 != part or \
                        m.headers() != [("n", b"%d" % i), ("codec", codec.encode())]:
                    ok = False
        check("consumer %s: messages match delivery reports (offset/key/value/headers)" % codec, ok, "")
    # Start at an explicit offset.
    msgs, errors = consume_all("ck-codec-gzip", [1], 60, N)
    check("assign at offset 60", bool(msgs) and msgs[0].offset() == 60 and len(msgs) == N // 2 - 60 and not errors,
          (len(msgs), msgs[0].offset() if msgs else None, errors[:2]))


@section
def offsets_lookup():
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "ck-offsets", "enable.auto.commit": False})
    tp = TopicPartition("ck-codec-none", 0)
    lo, hi = c.get_watermark_offsets(tp, timeout=TIMEOUT)
    check("watermarks (0, N/2)", (lo, hi) == (0, N // 2), (lo, hi))
    res = c.offsets_for_times([TopicPartition("ck-codec-none", 0, 0)], timeout=TIMEOUT)
    check("offsets_for_times(0) -> 0", res[0].offset == 0 and res[0].error is None, res)
    res = c.offsets_for_times([TopicPartition("ck-codec-none", 0, int(time.time() * 1000) + 3600_000)], timeout=TIMEOUT)
    check("offsets_for_times(future) -> -1 (end)", res[0].offset == -1, res)
    c.close()

    if hasattr(admin, "list_offsets"):
        from confluent_kafka.admin import OffsetSpec
        tp = TopicPartition("ck-codec-none", 0)
        for spec, want in ((OffsetSpec.earliest(), 0), (OffsetSpec.latest(), N // 2), (OffsetSpec.for_timestamp(0), 0)):
            got = list(admin.list_offsets({tp: spec}).values())[0].result(TIMEOUT).offset
            check("list_offsets %s -> %d" % (spec, want), got == want, got)
    else:
        skipped.append("list_offsets: not in confluent_kafka %s (offsets_for_times/get_watermark_offsets used)"
                       % info["confluent_kafka"])


@section
def delete_records():
    if not hasattr(admin, "delete_records"):
        skipped.append("delete_records: not in confluent_kafka %s" % info["confluent_kafka"])
        return
    tp = TopicPartition("ck-codec-lz4", 0, 30)
    res = list(admin.delete_records([tp]).values())[0].result(TIMEOUT)
    check("delete_records low watermark 30", res.low_watermark == 30, res)
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "ck-offsets", "enable.auto.commit": False})
    lo, hi = c.get_watermark_offsets(TopicPartition("ck-codec-lz4", 0), timeout=TIMEOUT)
    check("delete_records moved log start", (lo, hi) == (30, N // 2), (lo, hi))
    c.close()


@section
def admin_delete_topics():
    for f in admin.delete_topics(["ck-admin", "ck-assigned"], request_timeout=TIMEOUT).values():
        f.result(TIMEOUT)
    check("delete_topics removed them", wait_until(lambda: not ({"ck-admin", "ck-assigned"} & set(topics_now()))),
          list(topics_now()))
    expect_error("delete unknown topic -> UNKNOWN_TOPIC_OR_PART", KafkaError.UNKNOWN_TOPIC_OR_PART,
                 lambda: [f.result(TIMEOUT) for f in admin.delete_topics(["ck-admin"], request_timeout=TIMEOUT).values()])


finish("confluent_kafka", info)
