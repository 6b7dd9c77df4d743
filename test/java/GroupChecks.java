import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/** Consumer groups with the classic protocol: several KafkaConsumers in one group, one per thread. */
final class GroupChecks {
  private GroupChecks() {}

  static Properties memberProps(String bootstrap, String group, String clientId, String assignor) {
    Properties p = ProducerChecks.consumerProps(bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor.equals("range") ? RangeAssignor.class.getName() : CooperativeStickyAssignor.class.getName());
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
    return p;
  }

  /** One group member on its own thread: polls, records what it got, commits after every poll. */
  static final class Member implements Runnable, ConsumerRebalanceListener {
    final String name;
    final KafkaConsumer<String, String> consumer;
    final String topic;
    final AtomicBoolean stop = new AtomicBoolean();
    final List<Object> consumed = Collections.synchronizedList(new ArrayList<>());
    final List<Map<String, Object>> events = Collections.synchronizedList(new ArrayList<>());
    volatile Set<Integer> assignment = Set.of();
    volatile String error;
    final Thread thread;

    Member(String bootstrap, String group, String topic, String name, String assignor) {
      this.name = name;
      this.topic = topic;
      this.consumer = new KafkaConsumer<>(memberProps(bootstrap, group, name, assignor));
      this.thread = new Thread(this, name);
    }

    @Override
    public void run() {
      try {
        consumer.subscribe(List.of(topic), this);
        while (!stop.get()) {
          var records = consumer.poll(Duration.ofMillis(100));
          for (ConsumerRecord<String, String> r : records) consumed.add(Json.obj("partition", r.partition(), "offset", r.offset(), "value", r.value()));
          if (!records.isEmpty()) consumer.commitSync();
          Set<Integer> parts = new HashSet<>();
          for (TopicPartition tp : consumer.assignment()) parts.add(tp.partition());
          assignment = parts;
        }
        consumer.commitSync();
      } catch (Exception e) {
        error = e.getClass().getSimpleName() + ": " + e.getMessage();
      } finally {
        try {
          consumer.close(Duration.ofSeconds(10));
        } catch (Exception e) {
          if (error == null) error = "close: " + e;
        }
        assignment = Set.of();
      }
    }

    private List<Integer> parts(Collection<TopicPartition> tps) {
      List<Integer> out = new ArrayList<>();
      for (TopicPartition tp : tps) out.add(tp.partition());
      return SamsaJavaClient.sorted(out);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      events.add(Json.obj("revoked", parts(partitions)));
      // What was consumed from these partitions is committed before another member takes them.
      if (!partitions.isEmpty() && !stop.get()) consumer.commitSync();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      events.add(Json.obj("assigned", parts(partitions)));
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      events.add(Json.obj("lost", parts(partitions)));
    }
  }

  /** Every running member has partitions, none shared, all covered. */
  static boolean balanced(List<Member> members, int partitions) {
    Set<Integer> union = new HashSet<>();
    int total = 0;
    for (Member m : members) {
      Set<Integer> a = m.assignment;
      if (a.isEmpty()) return false;
      union.addAll(a);
      total += a.size();
    }
    return total == partitions && union.size() == partitions;
  }

  static Map<String, Object> assignments(List<Member> members) {
    Map<String, Object> out = new TreeMap<>();
    for (Member m : members) out.put(m.name, SamsaJavaClient.sorted(m.assignment));
    return out;
  }

  static int consumedTotal(List<Member> members) {
    int n = 0;
    for (Member m : members) n += m.consumed.size();
    return n;
  }

  static Map<String, Object> describe(Admin admin, String group) {
    try {
      ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
      List<Object> members = new ArrayList<>();
      for (MemberDescription m : d.members()) {
        List<Integer> parts = new ArrayList<>();
        for (TopicPartition tp : m.assignment().topicPartitions()) parts.add(tp.partition());
        members.add(Json.obj("clientId", m.clientId(), "memberId", m.consumerId(), "host", m.host(), "partitions", SamsaJavaClient.sorted(parts)));
      }
      return Json.obj("state", d.state().toString(), "assignor", d.partitionAssignor(), "simple", d.isSimpleConsumerGroup(), "coordinator", d.coordinator().id(), "members", members);
    } catch (Exception e) {
      return SamsaJavaClient.error(e);
    }
  }

  /** Waits until the group's description shows `members` members in state STABLE. */
  static Map<String, Object> describeStable(Admin admin, String group, int members) throws InterruptedException {
    Map<String, Object> last = null;
    long deadline = System.currentTimeMillis() + 15_000;
    while (System.currentTimeMillis() < deadline) {
      last = describe(admin, group);
      if ("stable".equalsIgnoreCase(String.valueOf(last.get("state"))) && last.get("members") instanceof List<?> l && l.size() == members) return last;
      Thread.sleep(100);
    }
    return last;
  }

  static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    return Admin.create(p);
  }

  static void produce(KafkaProducer<String, String> producer, String topic, int partitions, String prefix, int count) throws Exception {
    List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < count; i++) fs.add(producer.send(new ProducerRecord<>(topic, i % partitions, "k" + i, prefix + "-" + i)));
    producer.flush();
    for (var f : fs) f.get();
  }

  /**
   * MEMBERS consumers join GROUP on TOPIC (all its partitions) with ASSIGNOR ("range" or
   * "cooperative-sticky"); once balanced, COUNT records are produced and consumed; then the first
   * member leaves, the others take over its partitions, and COUNT more records are consumed.
   */
  static Map<String, Object> group(String bootstrap, String topic, String group, String assignor, int memberCount, int count) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Object> timings = new LinkedHashMap<>();
    long t0 = System.currentTimeMillis();
    List<String> failures = new ArrayList<>();
    List<Member> members = new ArrayList<>();
    Properties pp = ProducerChecks.producerProps(bootstrap);
    try (Admin admin = admin(bootstrap); KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
      int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
      out.put("partitions", partitions);
      for (int i = 0; i < memberCount; i++) members.add(new Member(bootstrap, group, topic, "java-" + assignor + "-" + i, assignor));
      for (Member m : members) m.thread.start();

      if (!SamsaJavaClient.waitUntil(60_000, () -> balanced(members, partitions))) failures.add("phase 1: members never balanced: " + assignments(members));
      out.put("phase1", assignments(members));
      timings.put("balanced1", System.currentTimeMillis() - t0);
      out.put("describe1", describeStable(admin, group, memberCount));
      timings.put("stable1", System.currentTimeMillis() - t0);

      produce(producer, topic, partitions, group + ":p1", count);
      if (!SamsaJavaClient.waitUntil(30_000, () -> consumedTotal(members) >= count)) failures.add("phase 1: consumed " + consumedTotal(members) + " of " + count);
      timings.put("consumed1", System.currentTimeMillis() - t0);

      // The first member leaves (commit, close: LeaveGroup); the others rebalance and take over.
      Member leaving = members.get(0);
      // The group is stable: what the others' rebalance listeners see from here on is the leave.
      for (Member m : members) m.events.add(Json.obj("mark", "leaving"));
      leaving.stop.set(true);
      leaving.thread.join(20_000);
      timings.put("left", System.currentTimeMillis() - t0);
      List<Member> rest = members.subList(1, members.size());
      if (!SamsaJavaClient.waitUntil(60_000, () -> balanced(rest, partitions))) failures.add("phase 2: remaining members never balanced: " + assignments(rest));
      out.put("phase2", assignments(rest));
      timings.put("balanced2", System.currentTimeMillis() - t0);
      out.put("describe2", describeStable(admin, group, memberCount - 1));

      produce(producer, topic, partitions, group + ":p2", count);
      if (!SamsaJavaClient.waitUntil(30_000, () -> consumedTotal(members) >= 2 * count)) failures.add("phase 2: consumed " + consumedTotal(members) + " of " + 2 * count);
      timings.put("consumed2", System.currentTimeMillis() - t0);
      Thread.sleep(500); // a duplicate delivery, if any, would arrive now

      for (Member m : rest) m.stop.set(true);
      for (Member m : rest) m.thread.join(20_000);
      timings.put("closed", System.currentTimeMillis() - t0);

      Map<String, Object> committed = new TreeMap<>();
      for (Map.Entry<TopicPartition, OffsetAndMetadata> e : admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet()) {
        committed.put(Integer.toString(e.getKey().partition()), e.getValue().offset());
      }
      out.put("committed", committed);
      out.put("describeAfter", describe(admin, group));
    } finally {
      for (Member m : members) m.stop.set(true);
    }
    List<Object> ms = new ArrayList<>();
    for (Member m : members) {
      if (m.error != null) failures.add(m.name + ": " + m.error);
      ms.add(Json.obj("name", m.name, "consumed", new ArrayList<>(m.consumed), "events", new ArrayList<>(m.events), "error", m.error));
    }
    out.put("members", ms);
    out.put("timingsMs", timings);
    out.put("failures", failures);
    out.put("ok", failures.isEmpty());
    return out;
  }

  /** A new member of GROUP: the committed offsets it starts from, and the COUNT records it then reads. */
  static Map<String, Object> resume(String bootstrap, String topic, String group, int count) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    List<Object> consumed = new ArrayList<>();
    Map<String, Object> firstOffsets = new TreeMap<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(memberProps(bootstrap, group, "java-resume", "range"))) {
      int partitions = consumer.partitionsFor(topic).size();
      Set<TopicPartition> all = new HashSet<>();
      for (int p = 0; p < partitions; p++) all.add(new TopicPartition(topic, p));
      Map<String, Object> committed = new TreeMap<>();
      for (Map.Entry<TopicPartition, OffsetAndMetadata> e : consumer.committed(all).entrySet()) {
        committed.put(Integer.toString(e.getKey().partition()), e.getValue() == null ? null : e.getValue().offset());
      }
      out.put("committed", committed);
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 30_000;
      while (consumed.size() < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
          firstOffsets.putIfAbsent(Integer.toString(r.partition()), r.offset());
          consumed.add(Json.obj("partition", r.partition(), "offset", r.offset(), "value", r.value()));
        }
      }
      // Anything beyond COUNT would be a re-delivery of records committed before.
      consumer.poll(Duration.ofMillis(500)).forEach(r -> consumed.add(Json.obj("partition", r.partition(), "offset", r.offset(), "value", r.value())));
      consumer.commitSync();
    }
    out.put("firstOffsets", firstOffsets);
    out.put("consumed", consumed);
    out.put("ok", consumed.size() == count);
    return out;
  }
}
