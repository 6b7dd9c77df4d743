import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** The idempotent producer with each compression type, and the consumer reading it back. */
final class ProducerChecks {
  private ProducerChecks() {}

  static final String[] CODECS = {"none", "gzip", "snappy", "lz4", "zstd"};

  static Properties producerProps(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    return p;
  }

  static Properties consumerProps(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return p;
  }

  /** A value long and repetitive enough that every codec really compresses the batch. */
  static String value(String codec, int i) {
    return codec + "-value-" + i + "-" + "samsa".repeat(20);
  }

  /** For each codec: COUNT records to partition 0 of PREFIX-codec, then read them back from offset 0. */
  static Map<String, Object> produceCodecs(String bootstrap, String prefix, int count) throws Exception {
    List<Object> results = new ArrayList<>();
    boolean ok = true;
    for (String codec : CODECS) {
      String topic = prefix + "-" + codec;
      Properties pp = producerProps(bootstrap);
      pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
      pp.put(ProducerConfig.LINGER_MS_CONFIG, "20");
      pp.put(ProducerConfig.CLIENT_ID_CONFIG, "java-producer-" + codec);
      List<Long> offsets = new ArrayList<>();
      List<Object> errors = new ArrayList<>();
      Map<String, Object> metrics = new LinkedHashMap<>();
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
        List<Future<RecordMetadata>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          RecordHeaders headers = new RecordHeaders();
          headers.add("seq", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
          headers.add("codec", codec.getBytes(StandardCharsets.UTF_8));
          futures.add(producer.send(new ProducerRecord<>(topic, 0, null, "key-" + i, value(codec, i), headers)));
        }
        producer.flush();
        for (Future<RecordMetadata> f : futures) {
          try {
            offsets.add(f.get().offset());
          } catch (Exception e) {
            errors.add(SamsaJavaClient.error(e));
          }
        }
        for (Map.Entry<MetricName, ? extends Metric> m : producer.metrics().entrySet()) {
          MetricName n = m.getKey();
          if (n.group().equals("producer-metrics") && (n.name().equals("record-retry-total") || n.name().equals("record-error-total") || n.name().equals("record-send-total"))) {
            metrics.put(n.name(), ((Number) m.getValue().metricValue()).longValue());
          }
        }
      } catch (Exception e) {
        errors.add(SamsaJavaClient.error(e));
      }

      List<Object> consumed = new ArrayList<>();
      Properties cp = consumerProps(bootstrap);
      cp.put(ConsumerConfig.CLIENT_ID_CONFIG, "java-reader-" + codec);
      // Without transactions the last stable offset is the high watermark: everything is readable.
      cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
        TopicPartition tp = new TopicPartition(topic, 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        long deadline = System.currentTimeMillis() + 20_000;
        while (consumed.size() < count && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            Map<String, Object> h = new LinkedHashMap<>();
            for (Header header : r.headers()) h.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
            consumed.add(Json.obj("partition", r.partition(), "offset", r.offset(), "key", r.key(), "value", r.value(), "headers", h, "timestampType", r.timestampType().toString()));
          }
        }
      } catch (Exception e) {
        errors.add(SamsaJavaClient.error(e));
      }
      if (!errors.isEmpty() || offsets.size() != count || consumed.size() != count) ok = false;
      results.add(Json.obj("codec", codec, "topic", topic, "acked", offsets.size(), "offsets", offsets, "errors", errors, "metrics", metrics, "consumed", consumed));
    }
    return Json.obj("ok", ok, "codecs", results);
  }

  /**
   * A transactional producer commits five records to partition 0 of TOPIC and aborts five more;
   * a read_committed consumer must then see only the committed five.
   */
  static Map<String, Object> transactional(String bootstrap, String topic) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    Properties pp = producerProps(bootstrap);
    pp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "java-txn-" + topic);
    pp.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "4000");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
      out.put("initTransactions", AdminChecks.step(() -> {
        producer.initTransactions();
        return null;
      }));
      out.put("committed", AdminChecks.step(() -> {
        producer.beginTransaction();
        for (int i = 0; i < 5; i++) producer.send(new ProducerRecord<>(topic, 0, "k" + i, "committed-" + i));
        producer.commitTransaction();
        return null;
      }));
      out.put("aborted", AdminChecks.step(() -> {
        producer.beginTransaction();
        for (int i = 0; i < 5; i++) producer.send(new ProducerRecord<>(topic, 0, "k" + i, "aborted-" + i));
        producer.flush();
        producer.abortTransaction();
        return null;
      }));
    } catch (Exception e) {
      out.put("producer", SamsaJavaClient.error(e));
    }
    List<String> values = new ArrayList<>();
    Properties cp = consumerProps(bootstrap);
    cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = System.currentTimeMillis() + 2_000;
      while (System.currentTimeMillis() < deadline) for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) values.add(r.value());
    }
    out.put("readCommitted", values);
    out.put("ok", values.equals(List.of("committed-0", "committed-1", "committed-2", "committed-3", "committed-4")));
    return out;
  }
}
