import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListConsumerGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.ConsumerGroupState;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;

/**
 * The AdminClient's calls, one after another, each result (or failure's exception class) under
 * its own key of the summary. Topics are named PREFIX-*, the groups PREFIX-group*.
 */
final class AdminChecks {
  private AdminChecks() {}

  interface Step {
    Object run() throws Exception;
  }

  /** Runs one step; its value, or {"error": ExceptionClass, "message": ...}. */
  static Object step(Step s) {
    try {
      Object v = s.run();
      return v == null ? "ok" : v;
    } catch (Exception e) {
      return SamsaJavaClient.error(e);
    }
  }

  static Map<String, Object> topic(TopicDescription d) {
    List<Object> parts = new ArrayList<>();
    for (TopicPartitionInfo p : d.partitions()) {
      List<Integer> replicas = new ArrayList<>();
      for (Node n : p.replicas()) replicas.add(n.id());
      List<Integer> isr = new ArrayList<>();
      for (Node n : p.isr()) isr.add(n.id());
      parts.add(Json.obj("partition", p.partition(), "leader", p.leader() == null ? null : p.leader().id(), "replicas", replicas, "isr", isr));
    }
    return Json.obj("name", d.name(), "internal", d.isInternal(), "topicId", String.valueOf(d.topicId()), "partitions", parts);
  }

  static Map<String, Object> configs(Admin admin, String topic, Set<String> names) throws Exception {
    ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config c = admin.describeConfigs(List.of(r)).all().get().get(r);
    Map<String, Object> out = new TreeMap<>();
    for (ConfigEntry e : c.entries()) {
      if (names.contains(e.name())) out.put(e.name(), Json.obj("value", e.value(), "source", e.source().toString(), "readOnly", e.isReadOnly(), "sensitive", e.isSensitive()));
    }
    List<String> all = new ArrayList<>();
    for (ConfigEntry e : c.entries()) all.add(e.name());
    all.sort(null);
    out.put("_names", all);
    return out;
  }

  static Map<String, Object> offsets(ListOffsetsResult r, TopicPartition tp) throws Exception {
    ListOffsetsResult.ListOffsetsResultInfo i = r.partitionResult(tp).get();
    return Json.obj("offset", i.offset(), "timestamp", i.timestamp(), "leaderEpoch", i.leaderEpoch().orElse(null));
  }

  static Set<String> topicNames(Admin admin, boolean internal) throws Exception {
    return new TreeSet<>(admin.listTopics(new ListTopicsOptions().listInternal(internal)).names().get());
  }

  static Map<String, Object> groupOffsets(Admin admin, String group) throws Exception {
    Map<String, Object> out = new TreeMap<>();
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet()) {
      out.put(e.getKey().toString(), Json.obj("offset", e.getValue().offset(), "metadata", e.getValue().metadata()));
    }
    return out;
  }

  static List<Object> groupListings(Collection<ConsumerGroupListing> listings, String prefix) {
    List<Object> out = new ArrayList<>();
    for (ConsumerGroupListing l : listings) {
      if (!l.groupId().startsWith(prefix)) continue;
      out.add(Json.obj("groupId", l.groupId(), "simple", l.isSimpleConsumerGroup(), "state", l.state().map(Object::toString).orElse(null)));
    }
    out.sort((a, b) -> String.valueOf(((Map<?, ?>) a).get("groupId")).compareTo(String.valueOf(((Map<?, ?>) b).get("groupId"))));
    return out;
  }

  static Map<String, Object> admin(String bootstrap, String prefix) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    String main = prefix + "-main";
    String gone = prefix + "-gone";
    TopicPartition tp0 = new TopicPartition(main, 0);
    TopicPartition tp1 = new TopicPartition(main, 1);
    Set<String> watched = Set.of("retention.ms", "cleanup.policy", "segment.bytes", "max.message.bytes");

    try (Admin admin = GroupChecks.admin(bootstrap)) {
      out.put("describeCluster", step(() -> {
        DescribeClusterResult c = admin.describeCluster();
        List<Object> nodes = new ArrayList<>();
        for (Node n : c.nodes().get()) nodes.add(Json.obj("id", n.id(), "host", n.host(), "port", n.port(), "rack", n.rack()));
        return Json.obj("clusterId", c.clusterId().get(), "controller", c.controller().get().id(), "nodes", nodes);
      }));

      // Topics: create (with configs), the errors, list, describe, partitions, delete.
      out.put("createTopics", step(() -> admin.createTopics(List.of(
          new NewTopic(main, 2, (short) 1).configs(Map.of("retention.ms", "7200000", "max.message.bytes", "200000")),
          new NewTopic(gone, Optional.empty(), Optional.empty()))).all().get()));
      out.put("createTopics.numPartitions", step(() -> admin.createTopics(List.of(new NewTopic(prefix + "-x", 1, (short) 1))).numPartitions(prefix + "-x").get()));
      out.put("createTopics.existing", step(() -> admin.createTopics(List.of(new NewTopic(main, 1, (short) 1))).all().get()));
      out.put("createTopics.replicationFactor3", step(() -> admin.createTopics(List.of(new NewTopic(prefix + "-rf3", 1, (short) 3))).all().get()));
      out.put("createTopics.invalidName", step(() -> admin.createTopics(List.of(new NewTopic(prefix + "/bad", 1, (short) 1))).all().get()));
      out.put("createTopics.invalidConfig", step(() -> admin.createTopics(List.of(new NewTopic(prefix + "-badcfg", 1, (short) 1).configs(Map.of("retention.ms", "soon")))).all().get()));
      out.put("createTopics.validateOnly", step(() -> admin.createTopics(List.of(new NewTopic(prefix + "-dry", 3, (short) 1)), new CreateTopicsOptions().validateOnly(true)).all().get()));

      out.put("listTopics", step(() -> {
        List<String> mine = new ArrayList<>();
        for (String t : topicNames(admin, false)) if (t.startsWith(prefix)) mine.add(t);
        return mine;
      }));
      out.put("listTopics.internal", step(() -> new ArrayList<>(topicNames(admin, true))));
      out.put("listTopics.withoutInternal", step(() -> new ArrayList<>(topicNames(admin, false))));
      out.put("describeTopics", step(() -> {
        Map<String, TopicDescription> d = admin.describeTopics(List.of(main, gone)).allTopicNames().get();
        return Json.obj(main, topic(d.get(main)), gone, topic(d.get(gone)));
      }));
      out.put("describeTopics.byId", step(() -> {
        TopicDescription d = admin.describeTopics(List.of(main)).allTopicNames().get().get(main);
        Map<org.apache.kafka.common.Uuid, TopicDescription> byId = admin.describeTopics(org.apache.kafka.common.TopicCollection.ofTopicIds(List.of(d.topicId()))).allTopicIds().get();
        return topic(byId.get(d.topicId()));
      }));
      out.put("describeTopics.unknownId", step(() -> admin.describeTopics(org.apache.kafka.common.TopicCollection.ofTopicIds(List.of(org.apache.kafka.common.Uuid.randomUuid()))).allTopicIds().get()));
      out.put("describeTopics.unknown", step(() -> admin.describeTopics(List.of(prefix + "-nope")).allTopicNames().get()));
      out.put("createPartitions", step(() -> {
        admin.createPartitions(Map.of(gone, NewPartitions.increaseTo(3))).all().get();
        return admin.describeTopics(List.of(gone)).allTopicNames().get().get(gone).partitions().size();
      }));

      // Topic configs.
      out.put("describeConfigs", step(() -> configs(admin, main, watched)));
      out.put("incrementalAlterConfigs", step(() -> {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, main);
        admin.incrementalAlterConfigs(Map.of(r, List.of(
            new AlterConfigOp(new ConfigEntry("retention.ms", "10800000"), AlterConfigOp.OpType.SET),
            new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.APPEND),
            new AlterConfigOp(new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE)))).all().get();
        return configs(admin, main, watched);
      }));
      out.put("incrementalAlterConfigs.subtract", step(() -> {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, main);
        admin.incrementalAlterConfigs(Map.of(r, List.of(new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SUBTRACT)))).all().get();
        return configs(admin, main, watched);
      }));
      out.put("incrementalAlterConfigs.invalidValue", step(() -> {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, main);
        return admin.incrementalAlterConfigs(Map.of(r, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "soon"), AlterConfigOp.OpType.SET)))).all().get();
      }));
      out.put("incrementalAlterConfigs.unknownName", step(() -> {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, main);
        return admin.incrementalAlterConfigs(Map.of(r, List.of(new AlterConfigOp(new ConfigEntry("no.such.config", "1"), AlterConfigOp.OpType.SET)))).all().get();
      }));
      out.put("incrementalAlterConfigs.unknownTopic", step(() -> {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, prefix + "-nope");
        return admin.incrementalAlterConfigs(Map.of(r, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "1000"), AlterConfigOp.OpType.SET)))).all().get();
      }));
      out.put("describeConfigs.broker", step(() -> {
        ConfigResource r = new ConfigResource(ConfigResource.Type.BROKER, "0");
        Config c = admin.describeConfigs(List.of(r)).all().get().get(r);
        Map<String, Object> m = new TreeMap<>();
        for (String name : List.of("num.partitions", "log.retention.hours", "group.initial.rebalance.delay.ms", "node.id")) {
          ConfigEntry e = c.get(name);
          m.put(name, e == null ? null : Json.obj("value", e.value(), "source", e.source().toString(), "readOnly", e.isReadOnly()));
        }
        return m;
      }));
      out.put("describeConfigs.unknownTopic", step(() -> configs(admin, prefix + "-nope", watched)));

      // Offsets: ten records on partition 0 with timestamps base, base+1000, ...
      long base = System.currentTimeMillis() - 60_000;
      out.put("timestampBase", base);
      out.put("produce", step(() -> {
        try (KafkaProducer<String, String> p = new KafkaProducer<>(ProducerChecks.producerProps(bootstrap))) {
          for (int i = 0; i < 10; i++) p.send(new ProducerRecord<>(main, 0, base + i * 1000L, "k" + i, "v" + i));
          p.flush();
        }
        return null;
      }));
      out.put("listOffsets", step(() -> {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("earliest", offsets(admin.listOffsets(Map.of(tp0, OffsetSpec.earliest())), tp0));
        r.put("latest", offsets(admin.listOffsets(Map.of(tp0, OffsetSpec.latest())), tp0));
        r.put("latestEmpty", offsets(admin.listOffsets(Map.of(tp1, OffsetSpec.latest())), tp1));
        r.put("forTimestamp", offsets(admin.listOffsets(Map.of(tp0, OffsetSpec.forTimestamp(base + 3500))), tp0));
        r.put("forTimestampExact", offsets(admin.listOffsets(Map.of(tp0, OffsetSpec.forTimestamp(base + 7000))), tp0));
        r.put("forTimestampFuture", offsets(admin.listOffsets(Map.of(tp0, OffsetSpec.forTimestamp(base + 3_600_000))), tp0));
        r.put("maxTimestamp", offsets(admin.listOffsets(Map.of(tp0, OffsetSpec.maxTimestamp())), tp0));
        return r;
      }));
      out.put("deleteRecords", step(() -> admin.deleteRecords(Map.of(tp0, RecordsToDelete.beforeOffset(3))).lowWatermarks().get(tp0).get().lowWatermark()));
      out.put("listOffsets.afterDelete", step(() -> Json.obj(
          "earliest", offsets(admin.listOffsets(Map.of(tp0, OffsetSpec.earliest())), tp0),
          "forTimestamp", offsets(admin.listOffsets(Map.of(tp0, OffsetSpec.forTimestamp(base))), tp0))));
      out.put("deleteRecords.beyondEnd", step(() -> admin.deleteRecords(Map.of(tp0, RecordsToDelete.beforeOffset(50))).lowWatermarks().get(tp0).get().lowWatermark()));
      out.put("listOffsets.unknownTopic", step(() -> {
        TopicPartition nope = new TopicPartition(prefix + "-nope", 0);
        return offsets(admin.listOffsets(Map.of(nope, OffsetSpec.latest())), nope);
      }));

      // Consumer groups: an offsets-only ("simple") group made by alterConsumerGroupOffsets...
      String simple = prefix + "-group-simple";
      String live = prefix + "-group-live";
      out.put("alterConsumerGroupOffsets", step(() -> admin.alterConsumerGroupOffsets(simple, Map.of(tp0, new OffsetAndMetadata(5), tp1, new OffsetAndMetadata(0, "m1"))).all().get()));
      out.put("listConsumerGroupOffsets", step(() -> groupOffsets(admin, simple)));
      out.put("alterConsumerGroupOffsets.again", step(() -> {
        admin.alterConsumerGroupOffsets(simple, Map.of(tp0, new OffsetAndMetadata(7, "m2"))).all().get();
        return groupOffsets(admin, simple);
      }));
      out.put("listConsumerGroupOffsets.unknownGroup", step(() -> groupOffsets(admin, prefix + "-group-nope")));

      // ... and a live one: one subscribed member, its heartbeat thread keeping it in the group.
      var props = GroupChecks.memberProps(bootstrap, live, "java-admin-member", "range");
      try (KafkaConsumer<String, String> member = new KafkaConsumer<>(props)) {
        member.subscribe(List.of(main));
        long deadline = System.currentTimeMillis() + 20_000;
        while (member.assignment().size() < 2 && System.currentTimeMillis() < deadline) member.poll(Duration.ofMillis(100));
        member.commitSync(Map.of(tp1, new OffsetAndMetadata(0)));
        out.put("liveMemberAssignment", member.assignment().size());

        out.put("listConsumerGroups", step(() -> groupListings(admin.listConsumerGroups().all().get(), prefix)));
        out.put("listConsumerGroups.empty", step(() -> groupListings(admin.listConsumerGroups(new ListConsumerGroupsOptions().inStates(Set.of(ConsumerGroupState.EMPTY))).all().get(), prefix)));
        out.put("listConsumerGroups.stable", step(() -> groupListings(admin.listConsumerGroups(new ListConsumerGroupsOptions().inStates(Set.of(ConsumerGroupState.STABLE))).all().get(), prefix)));
        out.put("describeConsumerGroups", step(() -> Json.obj("simple", GroupChecks.describe(admin, simple), "live", GroupChecks.describe(admin, live), "unknown", GroupChecks.describe(admin, prefix + "-group-nope"))));
        out.put("deleteConsumerGroups.live", step(() -> admin.deleteConsumerGroups(List.of(live)).all().get()));
        out.put("alterConsumerGroupOffsets.live", step(() -> admin.alterConsumerGroupOffsets(live, Map.of(tp0, new OffsetAndMetadata(1))).all().get()));
        out.put("deleteConsumerGroupOffsets.live", step(() -> admin.deleteConsumerGroupOffsets(live, Set.of(tp1)).all().get()));
      }
      out.put("deleteConsumerGroups", step(() -> admin.deleteConsumerGroups(List.of(simple)).all().get()));
      out.put("deleteConsumerGroups.unknown", step(() -> admin.deleteConsumerGroups(List.of(prefix + "-group-nope")).all().get()));
      out.put("listConsumerGroups.afterDelete", step(() -> groupListings(admin.listConsumerGroups().all().get(), prefix)));
      out.put("describeConsumerGroups.deleted", step(() -> GroupChecks.describe(admin, simple)));

      // Deleting topics.
      out.put("deleteTopics", step(() -> admin.deleteTopics(List.of(gone)).all().get()));
      out.put("listTopics.afterDelete", step(() -> {
        long deadline = System.currentTimeMillis() + 10_000;
        Set<String> names = topicNames(admin, false);
        while (names.contains(gone) && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
          names = topicNames(admin, false);
        }
        List<String> mine = new ArrayList<>();
        for (String t : names) if (t.startsWith(prefix)) mine.add(t);
        return mine;
      }));
      out.put("listTopics.internalAfterGroups", step(() -> Json.obj("withInternal", new ArrayList<>(topicNames(admin, true)), "withoutInternal", new ArrayList<>(topicNames(admin, false)))));
      out.put("deleteTopics.byId", step(() -> {
        org.apache.kafka.common.Uuid id = admin.describeTopics(List.of(prefix + "-x")).allTopicNames().get().get(prefix + "-x").topicId();
        admin.deleteTopics(org.apache.kafka.common.TopicCollection.ofTopicIds(List.of(id))).all().get();
        return null;
      }));
      out.put("deleteTopics.unknownId", step(() -> admin.deleteTopics(org.apache.kafka.common.TopicCollection.ofTopicIds(List.of(org.apache.kafka.common.Uuid.randomUuid()))).all().get()));
      out.put("deleteTopics.unknown", step(() -> admin.deleteTopics(List.of(prefix + "-nope")).all().get()));
    }
    out.put("ok", true);
    return out;
  }
}
