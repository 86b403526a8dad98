#!/usr/bin/env bash
# Brings up everything Tollgate's contract and integration tests talk to, on this machine, without Docker:
#   Kafka 3.9 (KRaft, one broker+controller JVM) on 127.0.0.1:9092, plus topic tollgate.access-log.v1
#   PostgreSQL at $DATABASE_URL, with databases tollgate and tollgate_test
#   Redis at $REDIS_URL
# Idempotent: a second run finds everything up and only checks it. Every wait is bounded.
# docs/local-infrastructure.md explains ports, files and how to reset.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="$ROOT/infra/local/.run"
KAFKA_DIR="$ROOT/infra/kafka"
KAFKA_LIB="$KAFKA_DIR/lib"
KAFKA_RUN="$RUN_DIR/kafka"
KAFKA_ADMIN="$ROOT/infra/local/kafka-admin.cjs"

# The pom is the one place that names the Kafka version; a change there re-fetches the jars.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_DIR/pom.xml")"
KAFKA_HOST=127.0.0.1
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
# Fixed so the formatted storage always belongs to "the" local cluster (22 chars of base64url = 16 bytes).
KAFKA_CLUSTER_ID=VG9sbGdhdGVMb2NhbEtmaw
KAFKA_START_TIMEOUT_S="${KAFKA_START_TIMEOUT_S:-90}"
# The machine has 2 cores and runs tests beside the broker: keep the JVM small.
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"

ACCESS_LOG_TOPIC=tollgate.access-log.v1
ACCESS_LOG_PARTITIONS="${ACCESS_LOG_PARTITIONS:-6}"

DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
PG_START_TIMEOUT_S=30
REDIS_START_TIMEOUT_S=15

T0="$EPOCHREALTIME"

die() {
  printf 'services-up: %s\n' "$*" >&2
  exit 1
}

# Paths in messages are shown relative to the repository so they can be pasted.
rel() { printf '%s' "${1#"$ROOT"/}"; }

elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

ready_line() { printf '%-10s %-30s ready (%s)\n' "$1" "$2" "$3"; }

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

is_local_host() {
  case "$1" in
    '' | 127.0.0.1 | localhost | ::1 | '[::1]') return 0 ;;
    *) return 1 ;;
  esac
}

# Splits scheme://[user[:password]@]host[:port][/path][?query] into URL_* variables.
parse_url() {
  local re='^([a-z0-9+.-]+)://(([^@/]*)@)?(\[[^]]*\]|[^:/?]*)(:([0-9]+))?(/[^?]*)?(\?.*)?$'
  [[ "$1" =~ $re ]] || die "cannot parse URL '$1'"
  URL_SCHEME="${BASH_REMATCH[1]}"
  URL_USERINFO="${BASH_REMATCH[3]}"
  URL_HOST="${BASH_REMATCH[4]}"
  URL_PORT="${BASH_REMATCH[6]}"
}

tail_log() {
  [[ -f "$1" ]] || return 0
  printf -- '--- last lines of %s ---\n' "$(rel "$1")" >&2
  tail -n 20 "$1" >&2
}

# ---------------------------------------------------------------------------------------------- prerequisites

[[ -n "$KAFKA_VERSION" ]] || die "no <kafka.version> found in $(rel "$KAFKA_DIR/pom.xml")"

JAVA="java"
[[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]] && JAVA="$JAVA_HOME/bin/java"
command -v "$JAVA" >/dev/null 2>&1 ||
  die "java not found (Kafka runs on a JVM, 17 or newer): install a JDK, e.g. 'apt-get install openjdk-17-jre-headless'"
command -v node >/dev/null 2>&1 || die "node not found: install Node.js 20"
[[ -d "$ROOT/node_modules/kafkajs" ]] || die "node_modules/kafkajs is missing: run 'npm ci' first"
for tool in pg_isready psql; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: install the PostgreSQL client ('apt-get install postgresql-client')"
done
command -v redis-cli >/dev/null 2>&1 || die "redis-cli not found: install it ('apt-get install redis-tools')"

mkdir -p "$RUN_DIR"
# Two overlapping runs (npm test while services:up is still busy) must not both start a broker.
exec 9>"$RUN_DIR/services-up.lock"
flock -w 180 9 || die "another services-up.sh held $(rel "$RUN_DIR")/services-up.lock for 180 s"

# ---------------------------------------------------------------------------------------------- Kafka

fetch_kafka_jars() {
  local stamp="$KAFKA_LIB/.kafka-$KAFKA_VERSION"
  [[ -f "$stamp" ]] && return 0
  command -v mvn >/dev/null 2>&1 ||
    die "mvn not found: Maven fetches the Kafka jars into $(rel "$KAFKA_LIB") ('apt-get install maven')"
  local t0="$EPOCHREALTIME"
  echo "kafka: fetching Kafka $KAFKA_VERSION jars with Maven into $(rel "$KAFKA_LIB") ..."
  rm -rf "$KAFKA_LIB"
  mkdir -p "$KAFKA_LIB" "$KAFKA_RUN"
  mvn -B -f "$KAFKA_DIR/pom.xml" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIB" \
    >"$KAFKA_RUN/maven.log" 2>&1 ||
    { tail_log "$KAFKA_RUN/maven.log"; die "Maven could not fetch the Kafka jars; see $(rel "$KAFKA_RUN/maven.log")"; }
  [[ -f "$KAFKA_LIB/kafka_2.13-$KAFKA_VERSION.jar" ]] ||
    die "Maven ran but kafka_2.13-$KAFKA_VERSION.jar is not in $(rel "$KAFKA_LIB"); see $(rel "$KAFKA_RUN/maven.log")"
  touch "$stamp"
  echo "kafka: jars fetched in $(elapsed_since "$t0") s"
}

write_kafka_config() {
  mkdir -p "$KAFKA_RUN/data"
  local target="$KAFKA_RUN/server.properties"
  local next="$target.next"
  cat >"$next" <<EOF
# Written by infra/local/services-up.sh; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_RUN/data

# One node: internal topics cannot have more replicas than brokers.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1
num.partitions=1
# Tests create their own topics; a typo must fail, not silently create a topic.
auto.create.topics.enable=false
delete.topic.enable=true
# Consumer groups in tests should start at once, not after the default 3 s settling delay.
group.initial.rebalance.delay.ms=0

# Two cores, shared with the tests.
num.network.threads=2
num.io.threads=4
background.threads=4
num.recovery.threads.per.data.dir=2
EOF
  if cmp -s "$next" "$target"; then rm -f "$next"; else mv "$next" "$target"; fi
}

format_kafka_storage() {
  [[ -f "$KAFKA_RUN/data/meta.properties" ]] && return 0
  echo "kafka: formatting storage in $(rel "$KAFKA_RUN/data") (cluster id $KAFKA_CLUSTER_ID)"
  "$JAVA" -Xmx256m -cp "$KAFKA_LIB/*" \
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" -Dkafka.logs.dir="$KAFKA_RUN" \
    kafka.tools.StorageTool format --config "$KAFKA_RUN/server.properties" \
    --cluster-id "$KAFKA_CLUSTER_ID" --ignore-formatted >"$KAFKA_RUN/format.log" 2>&1 ||
    { tail_log "$KAFKA_RUN/format.log"; die "formatting Kafka storage failed; see $(rel "$KAFKA_RUN/format.log")"; }
}

# Prints the pid of the broker this script started, if it is still that broker.
our_kafka_pid() {
  local pid
  [[ -f "$KAFKA_RUN/kafka.pid" ]] || return 1
  pid="$(<"$KAFKA_RUN/kafka.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  # The pid may have been recycled since: check it is still our kafka.Kafka with our config.
  local cmdline
  cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" || return 1
  [[ "$cmdline" == *"kafka.Kafka $KAFKA_RUN/server.properties"* ]] || return 1
  printf '%s' "$pid"
}

start_kafka() {
  rm -f "$KAFKA_RUN/kafka.pid"
  # Lets a start-up failure show server.log only when this start wrote to it.
  touch "$KAFKA_RUN/.last-start"
  # setsid: the broker outlives this script and the terminal; the inner shell records its own pid, then
  # becomes java (exec), so the pid file names the JVM whether or not setsid had to fork.
  # fd 9 holds the services-up lock: the broker must not keep it after this script ends.
  # shellcheck disable=SC2016,SC2086 # $$ and "$@" belong to the inner shell; KAFKA_HEAP_OPTS is a word list
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_RUN/kafka.pid" \
    "$JAVA" $KAFKA_HEAP_OPTS \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" -Dkafka.logs.dir="$KAFKA_RUN" \
    -cp "$KAFKA_LIB/*" kafka.Kafka "$KAFKA_RUN/server.properties" \
    >"$KAFKA_RUN/console.log" 2>&1 </dev/null 9>&- &
  disown
}

kafka_not_ready() {
  [[ "$KAFKA_RUN/server.log" -nt "$KAFKA_RUN/.last-start" ]] && tail_log "$KAFKA_RUN/server.log"
  [[ -s "$KAFKA_RUN/console.log" ]] && tail_log "$KAFKA_RUN/console.log"
  die "$1; see $(rel "$KAFKA_RUN/server.log") and $(rel "$KAFKA_RUN/console.log")"
}

# Waits until our broker listens and answers metadata requests, failing fast if the JVM dies.
wait_for_our_kafka() {
  local deadline=$((SECONDS + KAFKA_START_TIMEOUT_S))
  until port_open "$KAFKA_HOST" "$KAFKA_PORT"; do
    if ! our_kafka_pid >/dev/null; then
      # Give the pid file a moment to appear right after start_kafka.
      sleep 0.3
      our_kafka_pid >/dev/null || kafka_not_ready "Kafka exited during start-up, before it listened on $KAFKA_HOST:$KAFKA_PORT"
    fi
    ((SECONDS < deadline)) ||
      kafka_not_ready "Kafka did not accept connections on $KAFKA_HOST:$KAFKA_PORT within $KAFKA_START_TIMEOUT_S s"
    sleep 0.5
  done
  local left=$((deadline - SECONDS))
  ((left > 0)) || left=1
  node "$KAFKA_ADMIN" wait --brokers "$KAFKA_HOST:$KAFKA_PORT" --timeout-ms "$((left * 1000))" >/dev/null ||
    kafka_not_ready "Kafka listened on $KAFKA_HOST:$KAFKA_PORT but did not answer metadata requests within $KAFKA_START_TIMEOUT_S s"
}

up_kafka() {
  local t0="$EPOCHREALTIME" how pid
  fetch_kafka_jars
  write_kafka_config
  if pid="$(our_kafka_pid)"; then
    wait_for_our_kafka
    how="running, pid $pid"
  elif port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    node "$KAFKA_ADMIN" ping --brokers "$KAFKA_HOST:$KAFKA_PORT" --timeout-ms 5000 >/dev/null ||
      die "something listens on $KAFKA_HOST:$KAFKA_PORT but does not answer as Kafka; stop it (ss -ltnp 'sport = :$KAFKA_PORT' shows what)"
    how="reused a broker this script did not start"
  else
    port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT" &&
      die "$KAFKA_HOST:$KAFKA_CONTROLLER_PORT (the KRaft controller port) is taken by another process; ss -ltnp 'sport = :$KAFKA_CONTROLLER_PORT' shows what"
    format_kafka_storage
    start_kafka
    wait_for_our_kafka
    how="started, pid $(our_kafka_pid || echo '?')"
  fi
  ready_line kafka "$KAFKA_HOST:$KAFKA_PORT" "$how, $(elapsed_since "$t0") s"

  t0="$EPOCHREALTIME"
  local topic_state
  topic_state="$(node "$KAFKA_ADMIN" ensure-topic --brokers "$KAFKA_HOST:$KAFKA_PORT" \
    --topic "$ACCESS_LOG_TOPIC" --partitions "$ACCESS_LOG_PARTITIONS" --timeout-ms 30000)" ||
    die "topic $ACCESS_LOG_TOPIC could not be created on $KAFKA_HOST:$KAFKA_PORT; see $(rel "$KAFKA_RUN/server.log")"
  ready_line topic "$ACCESS_LOG_TOPIC" "${topic_state#*: }, $(elapsed_since "$t0") s"
}

# ---------------------------------------------------------------------------------------------- PostgreSQL

up_postgres() {
  local t0="$EPOCHREALTIME" how="reused"
  parse_url "$DATABASE_URL"
  local host="$URL_HOST" port="${URL_PORT:-5432}"
  # libpq rejects Prisma-only query parameters such as ?schema=.
  local libpq_url="${DATABASE_URL%%\?*}"
  local admin_url="$URL_SCHEME://${URL_USERINFO:+$URL_USERINFO@}$host${URL_PORT:+:$URL_PORT}/postgres"

  if ! pg_isready -q -t 3 -d "$libpq_url"; then
    is_local_host "$host" || die "PostgreSQL at $host:$port (DATABASE_URL) is not reachable, and only a server on 127.0.0.1/localhost is started by this script"
    [[ -d /etc/postgresql ]] && [[ -n "$(ls /etc/postgresql)" ]] ||
      die "PostgreSQL is not reachable at $host:$port and no local cluster exists under /etc/postgresql ('apt-get install postgresql')"
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    echo "postgres: not reachable on $host:$port, starting cluster $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
      die "pg_ctlcluster could not start PostgreSQL $version/main; see /var/log/postgresql/postgresql-$version-main.log"
    # services-down.sh stops only what is named here.
    printf '%s\n' "$version" >"$RUN_DIR/postgres.started"
    local deadline=$((SECONDS + PG_START_TIMEOUT_S))
    until pg_isready -q -t 2 -d "$libpq_url"; do
      ((SECONDS < deadline)) ||
        die "PostgreSQL did not accept connections on $host:$port within $PG_START_TIMEOUT_S s; see /var/log/postgresql/postgresql-$version-main.log"
      sleep 0.5
    done
    how="started $version/main"
  fi

  local existing db
  existing="$(psql "$admin_url" -X -q -v ON_ERROR_STOP=1 -tAc \
    "SELECT datname FROM pg_database WHERE datname IN ('tollgate', 'tollgate_test')" 2>&1)" ||
    die "PostgreSQL at $host:$port accepts connections but psql failed: $existing"
  for db in tollgate tollgate_test; do
    grep -qx "$db" <<<"$existing" && continue
    # A concurrent creator may win the race: then the database exists, which is all we want.
    psql "$admin_url" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\"" >/dev/null 2>&1 ||
      psql "$admin_url" -X -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -qx 1 ||
      die "could not create database $db on $host:$port"
    how="$how, created $db"
  done
  ready_line postgres "$host:$port" "$how, $(elapsed_since "$t0") s"
}

# ---------------------------------------------------------------------------------------------- Redis

up_redis() {
  local t0="$EPOCHREALTIME" how="reused" answer
  parse_url "$REDIS_URL"
  local host="$URL_HOST" port="${URL_PORT:-6379}"
  answer="$(timeout 5 redis-cli -u "$REDIS_URL" ping 2>&1 || true)"
  if [[ "$answer" != PONG ]]; then
    local bare_host="${host#[}"
    if port_open "${bare_host%]}" "$port"; then
      die "Redis at $host:$port (REDIS_URL) is listening but answered PING with: $answer"
    fi
    is_local_host "$host" || die "Redis at $host:$port (REDIS_URL) is not reachable, and only a server on 127.0.0.1/localhost is started by this script"
    command -v redis-server >/dev/null 2>&1 || die "Redis is not running and redis-server is not installed ('apt-get install redis-server')"
    echo "redis: not reachable on $host:$port, starting redis-server"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log ||
      die "redis-server did not start; see /var/log/redis/ci.log"
    printf '%s\n' "$REDIS_URL" >"$RUN_DIR/redis.started"
    local deadline=$((SECONDS + REDIS_START_TIMEOUT_S))
    until [[ "$(timeout 2 redis-cli -u "$REDIS_URL" ping 2>/dev/null || true)" == PONG ]]; do
      ((SECONDS < deadline)) ||
        die "Redis did not answer PING on $host:$port within $REDIS_START_TIMEOUT_S s; see /var/log/redis/ci.log"
      sleep 0.3
    done
    how="started"
  fi
  ready_line redis "$host:$port" "$how, $(elapsed_since "$t0") s"
}

up_kafka
up_postgres
up_redis
echo "services-up: all services ready in $(elapsed_since "$T0") s"
