#!/usr/bin/env bash
# Runs a throw-away single-node Apache Kafka 4.x broker (KRaft, combined broker+controller)
# for local runs and tests, straight from the jars deploy/local/fetch_kafka.sh puts in
# $SALESOPS_KAFKA_HOME/libs (default <repo>/.cache/kafka/libs). Everything of one broker
# lives in DIR: server.properties, data/ (formatted once, reused on restart), logs/,
# kafka.out, kafka.pid. Several brokers can run at once in different DIRs/ports.
#
# Usage:
#   kafka.sh start DIR BROKER_PORT CONTROLLER_PORT   start (idempotent), wait for metadata, create topics
#   kafka.sh create-topics DIR BROKER_PORT           (re)create the topics of the topics file
#   kafka.sh stop DIR                                SIGTERM, wait up to 30 s, then SIGKILL
#   kafka.sh kill DIR                                SIGKILL (crash simulation)
# Env:
#   SALESOPS_KAFKA_HOME         where libs/ is (default <repo>/.cache/kafka)
#   SALESOPS_KAFKA_TOPICS_FILE  "name partitions" lines (default deploy/local/topics.txt)
#   JAVA_HOME                   java to use (default: java on PATH)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
kafka_home="${SALESOPS_KAFKA_HOME:-$root/.cache/kafka}"
libs="$kafka_home/libs"
topics_file="${SALESOPS_KAFKA_TOPICS_FILE:-$here/topics.txt}"
log4j_conf="$here/kafka-log4j2.properties"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
start_timeout=90
stop_timeout=30

die() { echo "kafka.sh: $*" >&2; exit 1; }

usage() {
  sed -n '/^# Usage:/,/^# Env:/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

check_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ] || die "bad port '$1'"; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True when $1 is a live process. An unreaped zombie counts as dead, but only once all
# its threads are gone: a dying JVM's main thread shows Z while the others (which still
# hold the sockets and the data-dir lock) are being torn down.
pid_alive() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  local state tasks
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$state" != Z ] && return 0
  tasks=$(ls "/proc/$1/task" 2>/dev/null | wc -l)
  [ "$tasks" -gt 1 ]
}

# Pid of the broker of $dir from its pidfile, if that process is alive and really is
# this DIR's broker (guards against a stale pidfile whose pid got reused).
broker_pid() {
  local pid
  [ -f "$dir/kafka.pid" ] || return 1
  pid=$(cat "$dir/kafka.pid" 2>/dev/null) || return 1
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $dir/server.properties" || return 1
  echo "$pid"
}

resolve_dir() {
  mkdir -p "$1"
  dir=$(cd "$1" && pwd)
}

check_libs() {
  ls "$libs"/kafka_2.13-*.jar >/dev/null 2>&1 ||
    die "no Kafka jars in $libs; run deploy/local/setup.sh (or fetch_kafka.sh) first"
}

# Quick-starting JVM for the CLI tools: they only run for a second or two.
# Extra JVM options can come first, before the main class.
run_tool() {
  "$java" -Xms32m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$log4j_conf" -Dkafka.logs.dir="$dir/logs" \
    -Dsalesops.log.file=tools.log -Dsalesops.log.level=WARN \
    -cp "$libs/*" "$@"
}

# TopicCommand (one JVM per topic) with an AppCDS archive of its classes: halves each
# launch (~0.8 s -> ~0.4 s here). The first run writes the archive next to libs/; it is
# rebuilt when a jar is newer or the java binary differs. A stale or foreign archive is
# merely ignored by the JVM (-Xshare:auto), so this never breaks the command.
run_topic_command() {
  local key cds tmp="" rc=0 cds_args=()
  key=$(readlink -f "$(command -v "$java")" 2>/dev/null | cksum | cut -d' ' -f1)
  cds="$kafka_home/topic-command-$key.jsa"
  if [ -f "$cds" ] && [ -z "$(find "$libs" -newer "$cds" -print -quit)" ]; then
    cds_args=(-XX:SharedArchiveFile="$cds")
  elif [ -w "$kafka_home" ]; then
    tmp="$cds.$$.tmp"
    cds_args=(-XX:ArchiveClassesAtExit="$tmp")
  fi
  run_tool "${cds_args[@]}" org.apache.kafka.tools.TopicCommand "$@" || rc=$?
  if [ -n "$tmp" ]; then
    if [ $rc -eq 0 ] && [ -s "$tmp" ]; then mv -f "$tmp" "$cds"; else rm -f "$tmp"; fi
  fi
  return $rc
}

show_logs() {
  local f
  for f in "$dir/kafka.out" "$dir/logs/server.log"; do
    [ -s "$f" ] || continue
    echo "---- tail of $f" >&2
    tail -n 40 "$f" >&2
  done
}

# A Kafka Uuid (16 random bytes, URL-safe base64, no padding), as `kafka-storage
# random-uuid` prints, without paying for a JVM start. Kafka rejects ids starting with '-'.
random_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [ "${id:0:1}" != - ] && [ "$id" != AAAAAAAAAAAAAAAAAAAAAA ] && [ "$id" != AAAAAAAAAAAAAAAAAAAAAQ ] && break
  done
  echo "$id"
}

write_config() {
  local bport=$1 cport=$2
  cat >"$dir/server.properties.tmp" <<EOF
# Written by deploy/local/kafka.sh; single-node KRaft (combined broker+controller).
process.roles=broker,controller
node.id=1
# Dynamic KRaft quorum (kraft.version 1), storage formatted with --standalone.
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$bport
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data

num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

# Small-machine settings: few threads, small internal topics (each partition costs
# files and startup work), small log-cleaner buffer (default 128 MB of a 512 MB heap).
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=2
offsets.topic.num.partitions=3
transaction.state.log.num.partitions=3
share.coordinator.state.topic.num.partitions=3
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216
# After a kill -9 the controller keeps the old broker registration until its session
# times out (default 9 s), and the restarted broker can't register before that: a short
# session makes crash-restarts fast, 4x the heartbeat still tolerates GC/CPU stalls.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
EOF
  mv "$dir/server.properties.tmp" "$dir/server.properties"
}

# Reads the "name partitions" lines of the topics file into the arrays topic_names/topic_parts.
read_topics() {
  [ -r "$topics_file" ] || die "topics file $topics_file not found"
  topic_names=() topic_parts=()
  local line name parts extra
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%%#*}
    read -r name parts extra <<<"$line" || true
    [ -n "${name:-}" ] || continue
    [[ "${parts:-}" =~ ^[1-9][0-9]*$ ]] && [ -z "${extra:-}" ] ||
      die "$topics_file: bad line '$line' (want: name partitions)"
    topic_names+=("$name") topic_parts+=("$parts")
  done <"$topics_file"
}

# Creates the topics of the topics file that the broker doesn't have yet. One JVM launch
# per missing topic (TopicCommand creates one topic per run), so a restart costs none.
create_topics() {
  local bport=$1 meta i name parts have
  read_topics
  meta=$(kcat -b "127.0.0.1:$bport" -L -m 10 -q 2>&1) || die "cannot list topics on 127.0.0.1:$bport: $meta"
  for i in "${!topic_names[@]}"; do
    name=${topic_names[$i]} parts=${topic_parts[$i]}
    have=$(awk -v t="\"$name\"" '$1 == "topic" && $2 == t { print $4 }' <<<"$meta")
    if [ -n "$have" ]; then
      [ "$have" = "$parts" ] ||
        echo "kafka.sh: warning: topic $name has $have partitions, $topics_file says $parts" >&2
      continue
    fi
    local out
    out=$(run_topic_command --bootstrap-server "127.0.0.1:$bport" \
      --create --if-not-exists --topic "$name" --partitions "$parts" --replication-factor 1 2>&1) ||
      die "creating topic $name failed: $out"
    echo "kafka.sh: created topic $name ($parts partitions)"
  done
}

wait_ready() {
  local pid=$1 bport=$2 deadline=$((SECONDS + start_timeout))
  while :; do
    pid_alive "$pid" || {
      rm -f "$dir/kafka.pid"
      echo "kafka.sh: broker in $dir exited during startup" >&2; show_logs; exit 1; }
    if port_open "$bport" &&
       kcat -b "127.0.0.1:$bport" -L -m 5 -q 2>/dev/null | grep -q '^ *broker 1 at 127\.0\.0\.1:'"$bport"'\b'; then
      return 0
    fi
    [ $SECONDS -lt $deadline ] || {
      echo "kafka.sh: broker in $dir not answering on 127.0.0.1:$bport after ${start_timeout}s" >&2
      show_logs; exit 1; }
    sleep 0.5
  done
}

cmd_start() {
  [ $# -eq 3 ] || usage
  local bport=$2 cport=$3 pid
  check_port "$bport"; check_port "$cport"
  [ "$bport" != "$cport" ] || die "broker and controller ports must differ"
  check_libs
  resolve_dir "$1"
  # Serialise concurrent starts of the same DIR (the broker must not inherit fd 9).
  exec 9>"$dir/.start.lock"
  flock 9

  # An existing DIR keeps its config (and so its data): the ports must be the same.
  if [ -f "$dir/server.properties" ] &&
     ! grep -qxF "listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport" "$dir/server.properties"; then
    die "$dir/server.properties was written for other ports ($(grep '^listeners=' "$dir/server.properties")); use those or a fresh DIR"
  fi

  if pid=$(broker_pid); then
    wait_ready "$pid" "$bport"
    echo "kafka.sh: broker already running in $dir (pid $pid) on 127.0.0.1:$bport"
    create_topics "$bport"
    return
  fi
  rm -f "$dir/kafka.pid"

  # Don't start into ports someone else holds: kcat would then happily talk to the wrong
  # broker. (A broker that was just killed may hold its ports for a moment longer.)
  local p deadline=$((SECONDS + 5))
  for p in "$bport" "$cport"; do
    while port_open "$p"; do
      [ $SECONDS -lt $deadline ] || die "port $p on 127.0.0.1 is already in use"
      sleep 0.2
    done
  done

  [ -f "$dir/server.properties" ] || write_config "$bport" "$cport"
  mkdir -p "$dir/logs"

  if [ ! -f "$dir/data/meta.properties" ]; then
    local out
    out=$(run_tool kafka.tools.StorageTool format --config "$dir/server.properties" \
      --cluster-id "$(random_cluster_id)" --standalone --ignore-formatted 2>&1) ||
      die "formatting $dir/data failed: $out"
  fi

  # setsid: the broker gets its own session, so a Ctrl-C or job-control kill aimed at the
  # caller doesn't reach it; `exec` keeps the pid written by the inner shell.
  rm -f "$dir/kafka.pid.tmp"
  KAFKA_DIR="$dir" KAFKA_JAVA="$java" KAFKA_LOG4J="$log4j_conf" KAFKA_LIBS="$libs" \
    setsid nohup bash -c '
      echo $$ >"$KAFKA_DIR/kafka.pid.tmp"
      exec "$KAFKA_JAVA" -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
        -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.logs.dir="$KAFKA_DIR/logs" \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties"' \
    </dev/null >"$dir/kafka.out" 2>&1 9>&- &
  local i
  for i in $(seq 100); do
    [ -s "$dir/kafka.pid.tmp" ] && break
    sleep 0.05
  done
  [ -s "$dir/kafka.pid.tmp" ] || { show_logs; die "broker process did not start"; }
  mv "$dir/kafka.pid.tmp" "$dir/kafka.pid"
  pid=$(cat "$dir/kafka.pid")

  wait_ready "$pid" "$bport"
  echo "kafka.sh: broker up in $dir (pid $pid) on 127.0.0.1:$bport after ${SECONDS}s"
  create_topics "$bport"
}

cmd_create_topics() {
  [ $# -eq 2 ] || usage
  check_port "$2"
  check_libs
  resolve_dir "$1"
  create_topics "$2"
}

# Waits up to $2 seconds for pid $1 to exit; returns 1 if it is still there.
wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

cmd_stop() {
  [ $# -eq 1 ] || usage
  [ -d "$1" ] || return 0
  dir=$(cd "$1" && pwd)
  local pid
  if pid=$(broker_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_exit "$pid" "$stop_timeout"; then
      echo "kafka.sh: broker $pid did not stop within ${stop_timeout}s, killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      wait_exit "$pid" 10 || die "broker $pid survived SIGKILL"
    fi
  fi
  rm -f "$dir/kafka.pid"
}

cmd_kill() {
  [ $# -eq 1 ] || usage
  [ -d "$1" ] || return 0
  dir=$(cd "$1" && pwd)
  local pid
  if pid=$(broker_pid); then
    kill -KILL "$pid" 2>/dev/null || true
    wait_exit "$pid" 10 || die "broker $pid survived SIGKILL"
  fi
  rm -f "$dir/kafka.pid"
}

[ $# -ge 1 ] || usage
action=$1; shift
case "$action" in
  start) cmd_start "$@" ;;
  create-topics) cmd_create_topics "$@" ;;
  stop) cmd_stop "$@" ;;
  kill) cmd_kill "$@" ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
