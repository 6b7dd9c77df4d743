#!/usr/bin/env bash
# Runs Apache Kafka, the reference broker, as a KRaft cluster of N combined nodes
# (process.roles=broker,controller) in the foreground until SIGTERM or Ctrl-C, laid out as
# `samsa cluster` lays out its nodes: node ids 0..N-1, each node's controller listener on the
# port after its broker port. Jars come from Maven Central (scripts/apache-kafka/pom.xml).
#
#   scripts/apache-kafka.sh --nodes N --ports P1,P2,... --data-dir DIR [--version V]
#                           [--advertised-host H] [--override key=value ...]
#
# Storage is formatted on first start (the cluster id is kept in DIR/cluster.id); a second
# start on the same DIR keeps the data. Each node prints "Kafka Server started" on stdout when
# it is up; warnings go to stderr. KAFKA_HEAP_OPTS sets the JVM heap (default small: several
# nodes share two cores).
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

nodes=1 ports="" data_dir="" host=127.0.0.1 overrides=()
while [ $# -gt 0 ]; do
  case $1 in
    --nodes) nodes=$2; shift 2 ;;
    --ports) ports=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    --version) export KAFKA_VERSION=$2; shift 2 ;;
    --advertised-host) host=$2; shift 2 ;;
    --override) overrides+=("$2"); shift 2 ;;
    -h | --help) usage ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
[ -n "$data_dir" ] || { echo "--data-dir is required" >&2; usage; }
[[ $nodes =~ ^[1-9][0-9]*$ ]] || { echo "--nodes must be a positive number" >&2; exit 2; }
if [ -z "$ports" ]; then
  ports=$(for ((i = 0; i < nodes; i++)); do printf '%s%d' "${i:+,}" $((9092 + 3 * i)); done)
  ports=${ports#,}
fi
IFS=, read -r -a port_list <<<"$ports"
[ ${#port_list[@]} -eq "$nodes" ] || { echo "--ports lists ${#port_list[@]} ports for $nodes nodes" >&2; exit 2; }

# shellcheck source=apache-kafka/classpath.sh
. "$(dirname "$0")/apache-kafka/classpath.sh"
java_opts=(${KAFKA_HEAP_OPTS:--Xms64m -Xmx320m} -XX:+UseSerialGC -Djava.awt.headless=true $KAFKA_LOG_OPTS -cp "$KAFKA_CLASSPATH")

mkdir -p "$data_dir"
data_dir=$(cd "$data_dir" && pwd)
# A Kafka Uuid in base64url; like Kafka's own, never starting with "-" (it would read as an option).
until [ -s "$data_dir/cluster.id" ] && [ "$(head -c 1 "$data_dir/cluster.id")" != - ]; do
  head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$data_dir/cluster.id"
done
cluster_id=$(cat "$data_dir/cluster.id")

voters=""
for ((i = 0; i < nodes; i++)); do voters+="${voters:+,}$i@$host:$((port_list[i] + 1))"; done
replicas=$((nodes < 3 ? nodes : 3))
min_isr=$((nodes < 3 ? 1 : 2))

pids=()
stop() {
  trap - TERM INT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap 'stop; exit 0' TERM INT

for ((i = 0; i < nodes; i++)); do
  node_dir=$data_dir/node-$i
  mkdir -p "$node_dir"
  port=${port_list[i]}
  props=$node_dir/server.properties
  {
    echo "process.roles=broker,controller"
    echo "node.id=$i"
    echo "controller.quorum.voters=$voters"
    echo "listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$((port + 1))"
    echo "advertised.listeners=PLAINTEXT://$host:$port"
    echo "controller.listener.names=CONTROLLER"
    echo "inter.broker.listener.name=PLAINTEXT"
    echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    echo "log.dirs=$node_dir/logs"
    # As Kafka's own config/kraft/server.properties, with the internal topics sized to the cluster.
    echo "num.partitions=1"
    echo "offsets.topic.replication.factor=$replicas"
    echo "transaction.state.log.replication.factor=$replicas"
    echo "transaction.state.log.min.isr=$min_isr"
    echo "group.initial.rebalance.delay.ms=0"
    for kv in "${overrides[@]}"; do echo "$kv"; done
  } >"$props"
  if [ ! -f "$node_dir/logs/meta.properties" ]; then
    java "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$props" >/dev/null
  fi
  java "${java_opts[@]}" kafka.Kafka "$props" &
  pids+=($!)
done

# One node stopping on its own ends the cluster: the caller sees a non-zero exit.
set +e
wait -n "${pids[@]}"
status=$?
stop
exit $((status == 0 ? 1 : status))
