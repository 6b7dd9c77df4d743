// End-to-end latency at a fixed rate, for bench/vs-apache-kafka.ts: one producer sends `rate`
// records/s of `size` bytes for `seconds` to partition 0 of `topic`; a consumer in the same JVM
// (assigned to that partition, positioned at its end before the first send) receives them. Each
// value carries its send time (System.nanoTime() just before send(); a producer that falls behind
// its schedule, e.g. on a loaded machine, is counted in sendsMoreThan10msLate rather than in the
// latency) and its sequence number. Prints one JSON line: end-to-end latency (send -> the
// consumer's poll returns it) and ack latency (send -> the producer's callback), percentiles in
// ms, over the records after the warm-up seconds.
//
//   java -cp <this dir>:<kafka classpath> FixedRateLatency BOOTSTRAP TOPIC RATE SECONDS SIZE ACKS WARMUP_SECONDS
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class FixedRateLatency {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    int rate = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    int size = Math.max(16, Integer.parseInt(args[4]));
    String acks = args[5];
    int warmup = Integer.parseInt(args[6]);
    int total = rate * seconds;

    Properties cp = new Properties();
    cp.put("bootstrap.servers", bootstrap);
    cp.put("key.deserializer", ByteArrayDeserializer.class.getName());
    cp.put("value.deserializer", ByteArrayDeserializer.class.getName());
    cp.put("enable.auto.commit", "false");
    cp.put("fetch.min.bytes", "1");
    cp.put("fetch.max.wait.ms", "500");
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp);
    TopicPartition tp = new TopicPartition(topic, 0);
    consumer.assign(List.of(tp));
    consumer.seekToEnd(List.of(tp));
    long startOffset = consumer.position(tp);

    Properties pp = new Properties();
    pp.put("bootstrap.servers", bootstrap);
    pp.put("key.serializer", ByteArraySerializer.class.getName());
    pp.put("value.serializer", ByteArraySerializer.class.getName());
    pp.put("acks", acks);
    pp.put("linger.ms", "0");
    pp.put("enable.idempotence", "false");
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp);
    producer.partitionsFor(topic); // metadata before the clock starts

    long[] e2e = new long[total];
    long[] ack = new long[total];
    AtomicLong errors = new AtomicLong();
    long[] received = new long[1];
    long deadline = System.nanoTime() + (seconds + 60) * 1_000_000_000L;
    Thread reader = new Thread(() -> {
      while (received[0] < total && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          long now = System.nanoTime();
          ByteBuffer b = ByteBuffer.wrap(r.value());
          long sent = b.getLong(0);
          int seq = (int) b.getLong(8);
          if (seq >= 0 && seq < total && e2e[seq] == 0) {
            e2e[seq] = Math.max(1, now - sent);
            received[0]++;
          }
        }
      }
    });
    reader.start();

    long start = System.nanoTime() + 200_000_000L;
    long behind = 0;
    for (int i = 0; i < total; i++) {
      long slot = start + (long) i * 1_000_000_000L / rate;
      long wait;
      while ((wait = slot - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
      if (-wait > 10_000_000L) behind++;
      byte[] value = new byte[size];
      final long sentAt = System.nanoTime();
      ByteBuffer.wrap(value).putLong(0, sentAt).putLong(8, i);
      final int seq = i;
      producer.send(new ProducerRecord<>(topic, 0, null, value), (md, ex) -> {
        if (ex != null) errors.incrementAndGet();
        else ack[seq] = Math.max(1, System.nanoTime() - sentAt);
      });
    }
    producer.flush();
    reader.join();
    producer.close();
    consumer.close();

    int from = Math.min(total, warmup * rate);
    System.out.println("{\"sent\":" + total + ",\"received\":" + received[0] + ",\"errors\":" + errors.get()
        + ",\"sendsMoreThan10msLate\":" + behind + ",\"startOffset\":" + startOffset + ",\"measured\":" + (total - from)
        + ",\"e2e\":" + summary(e2e, from) + ",\"ack\":" + summary(ack, from) + "}");
  }

  static String summary(long[] nanos, int from) {
    long[] xs = Arrays.stream(nanos, from, nanos.length).filter(x -> x > 0).sorted().toArray();
    if (xs.length == 0) return "null";
    return String.format(java.util.Locale.ROOT, "{\"n\":%d,\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f}",
        xs.length, pct(xs, 50), pct(xs, 99), pct(xs, 99.9), xs[xs.length - 1] / 1e6);
  }

  static double pct(long[] sorted, double p) {
    int i = (int) Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length));
    return sorted[i] / 1e6;
  }
}
