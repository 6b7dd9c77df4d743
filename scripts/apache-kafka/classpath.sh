# Sourced by scripts/apache-kafka.sh and scripts/kafka-tool.sh. Sets KAFKA_VERSION and
# KAFKA_CLASSPATH for the version asked for (KAFKA_VERSION; by default the newest 3.9.x that
# Maven Central serves), resolving the jars with Maven from pom.xml beside this file. The result
# is cached per version in ~/.cache/samsa (the jars themselves in the local Maven repository);
# "newest 3.9.x" is asked of Maven at most once a day, and an offline machine keeps its answer.
APACHE_KAFKA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_kafka_cache=${XDG_CACHE_HOME:-$HOME/.cache}/samsa
mkdir -p "$_kafka_cache"

# Prints the classpath of one Maven version spec (a version or a range) for the pom.
_kafka_resolve() {
  local spec=$1 out profile=()
  out=$(mktemp)
  case $spec in 4.* | \[4*) profile=(-Dkafka4) ;; esac
  if ! mvn -q -B -f "$APACHE_KAFKA_DIR/pom.xml" dependency:build-classpath \
      "-Dkafka.version=$spec" "${profile[@]}" "-Dmdep.outputFile=$out" >"$out.log" 2>&1; then
    cat "$out.log" >&2
    rm -f "$out" "$out.log"
    return 1
  fi
  cat "$out"
  rm -f "$out" "$out.log"
}

# True when every jar of a cached classpath is still in the local repository.
_kafka_cached() {
  local cp
  [ -s "$1" ] || return 1
  IFS=: read -r -a cp <"$1"
  for jar in "${cp[@]}"; do [ -f "$jar" ] || return 1; done
}

if [ -z "${KAFKA_VERSION:-}" ]; then
  latest=$_kafka_cache/apache-kafka-3.9-latest
  if [ -z "$(find "$latest" -mtime -1 2>/dev/null)" ]; then
    if cp=$(_kafka_resolve '[3.9.0,3.10)' 2>/dev/null); then
      tr ':' '\n' <<<"$cp" | sed -n 's#.*/kafka_2\.13-\(3\.9\.[0-9]*\)\.jar$#\1#p' >"$latest"
      printf '%s' "$cp" >"$_kafka_cache/apache-kafka-$(cat "$latest").classpath"
    elif [ ! -s "$latest" ]; then
      echo "cannot resolve Apache Kafka 3.9.x with Maven (offline and nothing cached)" >&2
      exit 1
    fi
  fi
  KAFKA_VERSION=$(cat "$latest")
fi

_kafka_cp_file=$_kafka_cache/apache-kafka-$KAFKA_VERSION.classpath
if ! _kafka_cached "$_kafka_cp_file"; then
  _kafka_resolve "$KAFKA_VERSION" >"$_kafka_cp_file.new" || { rm -f "$_kafka_cp_file.new"; exit 1; }
  mv "$_kafka_cp_file.new" "$_kafka_cp_file"
fi
KAFKA_CLASSPATH=$(cat "$_kafka_cp_file")
case $KAFKA_VERSION in
  4.*) KAFKA_LOG_OPTS="-Dlog4j2.configurationFile=$APACHE_KAFKA_DIR/log4j2.properties" ;;
  *) KAFKA_LOG_OPTS="-Dlog4j.configuration=file:$APACHE_KAFKA_DIR/log4j.properties" ;;
esac
export KAFKA_VERSION KAFKA_CLASSPATH KAFKA_LOG_OPTS
