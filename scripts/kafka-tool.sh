#!/usr/bin/env bash
# Runs one of Apache Kafka's command-line tools by its usual name, from the jars of
# scripts/apache-kafka/pom.xml (resolved with Maven, cached):
#
#   scripts/kafka-tool.sh [--version V] TOOL ARGS...
#   scripts/kafka-tool.sh kafka-topics --bootstrap-server localhost:9092 --list
#   scripts/kafka-tool.sh [--version V] --classpath     (prints the jars, for javac and java)
#
# TOOL is kafka-topics, kafka-configs, kafka-consumer-groups, kafka-console-producer,
# kafka-console-consumer, kafka-reassign-partitions, kafka-leader-election,
# kafka-metadata-quorum, kafka-acls, kafka-transactions, kafka-producer-perf-test,
# kafka-consumer-perf-test, kafka-storage or kafka-get-offsets (".sh" may follow the name).
set -euo pipefail

if [ "${1:-}" = --version ]; then export KAFKA_VERSION=$2; shift 2; fi
[ $# -ge 1 ] || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
if [ "$1" = --classpath ]; then
  # shellcheck source=apache-kafka/classpath.sh
  . "$(dirname "$0")/apache-kafka/classpath.sh"
  printf '%s\n' "$KAFKA_CLASSPATH"
  exit 0
fi
tool=${1%.sh}
shift

# The main classes of Kafka's bin/*.sh scripts. Where a tool moved between 3.9 and 4.x, both are
# listed and the first one present in the jars is run.
case $tool in
  kafka-topics) classes=(org.apache.kafka.tools.TopicCommand) ;;
  kafka-configs) classes=(kafka.admin.ConfigCommand org.apache.kafka.tools.ConfigCommand) ;;
  kafka-consumer-groups) classes=(org.apache.kafka.tools.consumer.group.ConsumerGroupCommand) ;;
  kafka-console-producer) classes=(org.apache.kafka.tools.ConsoleProducer kafka.tools.ConsoleProducer) ;;
  kafka-console-consumer) classes=(org.apache.kafka.tools.consumer.ConsoleConsumer) ;;
  kafka-reassign-partitions) classes=(org.apache.kafka.tools.reassign.ReassignPartitionsCommand) ;;
  kafka-leader-election) classes=(org.apache.kafka.tools.LeaderElectionCommand) ;;
  kafka-metadata-quorum) classes=(org.apache.kafka.tools.MetadataQuorumCommand) ;;
  kafka-acls) classes=(kafka.admin.AclCommand org.apache.kafka.tools.AclCommand) ;;
  kafka-transactions) classes=(org.apache.kafka.tools.TransactionsCommand) ;;
  kafka-producer-perf-test) classes=(org.apache.kafka.tools.ProducerPerformance) ;;
  kafka-consumer-perf-test) classes=(org.apache.kafka.tools.ConsumerPerformance) ;;
  kafka-get-offsets) classes=(org.apache.kafka.tools.GetOffsetShell) ;;
  kafka-storage) classes=(kafka.tools.StorageTool) ;;
  *) echo "unknown tool: $tool" >&2; exit 2 ;;
esac

# shellcheck source=apache-kafka/classpath.sh
. "$(dirname "$0")/apache-kafka/classpath.sh"

main=${classes[0]}
if [ ${#classes[@]} -gt 1 ]; then
  IFS=: read -r -a jars <<<"$KAFKA_CLASSPATH"
  main=""
  for class in "${classes[@]}"; do
    entry=${class//.//}.class
    for jar in "${jars[@]}"; do
      case $jar in */kafka*.jar) unzip -l "$jar" "$entry" >/dev/null 2>&1 && { main=$class; break 2; } ;; esac
    done
  done
  [ -n "$main" ] || { echo "$tool: none of ${classes[*]} in Kafka $KAFKA_VERSION" >&2; exit 1; }
fi

# Short-lived tools start faster with the first JIT tier only; the perf tests need the full JIT.
case $tool in *-perf-test) jit=() ;; *) jit=(-XX:TieredStopAtLevel=1) ;; esac
# Kafka's tools log only warnings; KAFKA_OPTS adds JVM options, as Kafka's own scripts allow.
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} -XX:+UseSerialGC "${jit[@]}" -Djava.awt.headless=true \
  $KAFKA_LOG_OPTS ${KAFKA_OPTS:-} -cp "$KAFKA_CLASSPATH" "$main" "$@"
