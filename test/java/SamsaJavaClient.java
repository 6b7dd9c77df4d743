import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Apache Kafka's Java client (kafka-clients) against a broker, for test/java-client.test.ts.
 * Each subcommand runs one scenario and prints one JSON summary line on stdout; the test
 * asserts on it. Kafka's own logging goes to stderr (log4j config from the command line).
 *
 *   produce-codecs BOOTSTRAP TOPIC_PREFIX COUNT   idempotent acks=all producer per codec, read back
 *   transactional BOOTSTRAP TOPIC                 commit and abort a transaction, read_committed
 *   group BOOTSTRAP TOPIC GROUP ASSIGNOR MEMBERS COUNT   classic-protocol group, a member leaves
 *   resume BOOTSTRAP TOPIC GROUP COUNT            a new member resumes from committed offsets
 *   admin BOOTSTRAP PREFIX                        AdminClient calls and their errors
 */
public final class SamsaJavaClient {
  private SamsaJavaClient() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: SamsaJavaClient produce-codecs|group|resume|admin BOOTSTRAP ...");
      System.exit(2);
    }
    Map<String, Object> summary;
    switch (args[0]) {
      case "produce-codecs" -> summary = ProducerChecks.produceCodecs(args[1], args[2], Integer.parseInt(args[3]));
      case "transactional" -> summary = ProducerChecks.transactional(args[1], args[2]);
      case "group" -> summary = GroupChecks.group(args[1], args[2], args[3], args[4], Integer.parseInt(args[5]), Integer.parseInt(args[6]));
      case "resume" -> summary = GroupChecks.resume(args[1], args[2], args[3], Integer.parseInt(args[4]));
      case "admin" -> summary = AdminChecks.admin(args[1], args[2]);
      default -> {
        System.err.println("unknown subcommand " + args[0]);
        System.exit(2);
        return;
      }
    }
    System.out.println(Json.write(summary));
    System.out.flush();
    // Client threads (e.g. a consumer that failed to close) must not keep the JVM alive.
    System.exit(0);
  }

  /** The class name of a failure, unwrapping ExecutionException/KafkaException wrappers. */
  static String errorName(Throwable t) {
    Throwable e = t;
    while ((e instanceof java.util.concurrent.ExecutionException || e instanceof java.util.concurrent.CompletionException) && e.getCause() != null) e = e.getCause();
    return e.getClass().getSimpleName();
  }

  static Map<String, Object> error(Throwable t) {
    Throwable e = t;
    while ((e instanceof java.util.concurrent.ExecutionException || e instanceof java.util.concurrent.CompletionException) && e.getCause() != null) e = e.getCause();
    return Json.obj("error", e.getClass().getSimpleName(), "message", String.valueOf(e.getMessage()));
  }

  /** Polls cond every 100 ms until it holds or timeoutMs passes; returns whether it held. */
  static boolean waitUntil(long timeoutMs, java.util.function.BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMillis(timeoutMs).toNanos();
    while (System.nanoTime() < deadline) {
      if (cond.getAsBoolean()) return true;
      Thread.sleep(100);
    }
    return cond.getAsBoolean();
  }

  static List<Integer> sorted(java.util.Collection<Integer> xs) {
    List<Integer> out = new ArrayList<>(xs);
    out.sort(null);
    return out;
  }
}
