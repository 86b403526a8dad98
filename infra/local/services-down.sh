#!/usr/bin/env bash
# Stops what infra/local/services-up.sh started: always its Kafka broker; PostgreSQL and Redis only when
# services-up.sh had to start them (it leaves a marker in infra/local/.run/). Data is kept: to reset, remove
# infra/local/.run after this script (see docs/local-infrastructure.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="$ROOT/infra/local/.run"
KAFKA_RUN="$RUN_DIR/kafka"
KAFKA_STOP_TIMEOUT_S="${KAFKA_STOP_TIMEOUT_S:-60}"

say() { printf '%-10s %s\n' "$1" "$2"; }

running() { kill -0 "$1" 2>/dev/null; }

stop_kafka() {
  local pid_file="$KAFKA_RUN/kafka.pid" pid cmdline
  if [[ ! -f "$pid_file" ]]; then
    say kafka "not started by services-up.sh (no $(basename "$pid_file")): left alone"
    return 0
  fi
  pid="$(<"$pid_file")"
  cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true)"
  # A stale pid file may name a recycled pid: only signal our own broker.
  if [[ ! "$pid" =~ ^[0-9]+$ || "$cmdline" != *"kafka.Kafka $KAFKA_RUN/server.properties"* ]]; then
    say kafka "not running (stale pid file removed)"
    rm -f "$pid_file"
    return 0
  fi
  local t0="$EPOCHREALTIME"
  # SIGTERM runs the broker's controlled shutdown, which flushes logs and checkpoints: storage survives intact.
  kill -TERM "$pid"
  local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT_S))
  while running "$pid" && ((SECONDS < deadline)); do sleep 0.3; done
  if running "$pid"; then
    echo "kafka: pid $pid still running after $KAFKA_STOP_TIMEOUT_S s, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while running "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if running "$pid"; then
      echo "services-down: kafka pid $pid survived SIGKILL" >&2
      exit 1
    fi
  fi
  rm -f "$pid_file"
  say kafka "stopped pid $pid in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
}

stop_postgres() {
  if [[ ! -f "$RUN_DIR/postgres.started" ]]; then
    say postgres "not started by services-up.sh: left alone"
    return 0
  fi
  local version
  version="$(<"$RUN_DIR/postgres.started")"
  pg_ctlcluster --skip-systemctl-redirect "$version" main stop --mode fast || {
    echo "services-down: pg_ctlcluster could not stop PostgreSQL $version/main" >&2
    exit 1
  }
  rm -f "$RUN_DIR/postgres.started"
  say postgres "stopped cluster $version/main"
}

stop_redis() {
  if [[ ! -f "$RUN_DIR/redis.started" ]]; then
    say redis "not started by services-up.sh: left alone"
    return 0
  fi
  local url
  url="$(<"$RUN_DIR/redis.started")"
  # SHUTDOWN closes the connection instead of replying, so redis-cli's exit status says nothing here.
  timeout 10 redis-cli -u "$url" shutdown nosave >/dev/null 2>&1 || true
  if [[ "$(timeout 2 redis-cli -u "$url" ping 2>/dev/null || true)" == PONG ]]; then
    echo "services-down: Redis at $url still answers after SHUTDOWN" >&2
    exit 1
  fi
  rm -f "$RUN_DIR/redis.started"
  say redis "stopped $url"
}

stop_kafka
stop_postgres
stop_redis
