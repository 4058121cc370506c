#!/usr/bin/env bash
# Runs a throw-away Apache Kafka 4.x broker (KRaft, combined broker+controller) for local
# runs and tests - a single node, or a 3-node cluster as in production (replication factor
# 3, min.insync.replicas 2) - straight from the jars deploy/local/fetch_kafka.sh puts in
# $SALESOPS_KAFKA_HOME/libs (default <repo>/.cache/kafka/libs). Everything of one broker
# lives in DIR: server.properties, data/ (formatted once, reused on restart), logs/,
# kafka.out, kafka.pid, users/ (passwords). A cluster lives in DIR with one DIR/node-N per
# node and the users and admin settings shared in DIR. Several brokers or clusters can run
# at once in different DIRs/ports.
#
# Nothing is trusted by address: clients authenticate with SASL on the broker listener,
# the controller listener takes SASL/PLAIN from the static admin user (KRaft cannot use
# SCRAM there), and the StandardAuthorizer allows only what the ACLs below grant. Users:
# `admin` (super user: these scripts, kcat, tests, ops) and one per service, each with a
# random password made once per DIR in DIR/users/<user>.password (mode 0600).
# The broker listener offers SCRAM-SHA-512 (credentials written when the storage is
# formatted; the Java tools use it) and PLAIN with the same users and passwords: Debian
# bookworm's librdkafka (2.0.2; our services, kcat) cannot do SCRAM with a Kafka 4 broker
# (it repeats the client nonce, which 4.x rejects; fixed in librdkafka 2.6.1), so the C++
# clients use PLAIN - acceptable here only because the listener is on loopback. Each
# service may produce to (and create) only its own topics - salesops.<service>.* and its
# dead-letter topics salesops.<service>-*.dlq.v1 - read the event topics of the services
# it consumes, and use consumer groups named <service>-*. Write on a topic is enough
# for the idempotent producer (Kafka >= 3.0; no IDEMPOTENT_WRITE on the cluster).
#
# Usage:
#   kafka.sh start DIR BROKER_PORT CONTROLLER_PORT [MTLS_PORT TLS_DIR]
#                                                    start (idempotent), wait for metadata,
#                                                    apply the ACLs, create topics; with
#                                                    MTLS_PORT also a TLS listener that takes
#                                                    client certificates instead of SASL (see
#                                                    mtls_lines)
#   kafka.sh start-cluster DIR [B1:C1 B2:C2 B3:C3]   the same for a 3-node cluster (broker and
#                                                    controller port of each node; omitted
#                                                    when DIR has them): starts the nodes that
#                                                    are not running, so it also restarts one
#                                                    that was killed
#   kafka.sh bootstrap DIR                           print the cluster's bootstrap servers
#   kafka.sh leader DIR TOPIC PARTITION              print the node id leading a partition
#   kafka.sh create-topics DIR BROKER_PORT           (re)create the topics of the topics file
#   kafka.sh stop DIR                                SIGTERM, wait up to 30 s, then SIGKILL
#                                                    (a cluster DIR: every node)
#   kafka.sh kill DIR                                SIGKILL (crash simulation); a node of a
#                                                    cluster is DIR/node-N
#   kafka.sh password DIR USER                       print the path of USER's password file
# Admin client settings for other tools: DIR/admin.properties (Java clients, e.g.
# --command-config) and DIR/kcat.conf (librdkafka / kcat -F); see also kcat.sh.
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

# Who reads what: "<service> <services whose event topics it consumes...>". A service
# marked ":ro" gets no write access at all (the gateway only relays events to browsers).
# Keep in step with the consumer groups in services/*/main.cc and DESIGN.md.
principals=(
  "org org customers"
  "customers org"
  "targets org customers"
  "warning org customers targets forecast"
  "performance org customers targets warning sync"
  "forecast org customers targets"
  "sync org customers targets performance forecast warning sync"
  "gateway:ro org customers targets performance forecast warning sync"
)
# Topic prefixes a service writes besides its own: the sync service publishes the
# compacted customer-sharing topic other company systems read (salesops.share.*).
extra_writes=(
  "sync share"
)
# Bump when the ACLs derived from the table change, so existing DIRs get them too.
acl_version=5

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

# dir: the node's own folder; home: where the users and admin settings are (the cluster's
# folder for a node of a cluster, else dir itself).
resolve_dir() {
  mkdir -p "$1"
  dir=$(cd "$1" && pwd)
  home=$dir
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

# A CLI tool (TopicCommand, AclCommand: one JVM per call) with an AppCDS archive of its
# classes: halves each launch (~0.8 s -> ~0.4 s here). The first run writes the archive
# next to libs/; it is rebuilt when a jar is newer or the java binary differs. A stale or
# foreign archive is merely ignored by the JVM (-Xshare:auto), so this never breaks the
# command. Usage: run_cds_tool NAME MAIN_CLASS ARGS...
run_cds_tool() {
  local name=$1 main=$2 key cds tmp="" rc=0 cds_args=()
  shift 2
  key=$(readlink -f "$(command -v "$java")" 2>/dev/null | cksum | cut -d' ' -f1)
  cds="$kafka_home/$name-$key.jsa"
  if [ -f "$cds" ] && [ -z "$(find "$libs" -newer "$cds" -print -quit)" ]; then
    cds_args=(-XX:SharedArchiveFile="$cds")
  elif [ -w "$kafka_home" ]; then
    tmp="$cds.$BASHPID.tmp"  # jobs run in parallel (par_run): one archive each
    cds_args=(-XX:ArchiveClassesAtExit="$tmp")
  fi
  run_tool "${cds_args[@]}" "$main" "$@" || rc=$?
  if [ -n "$tmp" ]; then
    if [ $rc -eq 0 ] && [ -s "$tmp" ]; then mv -f "$tmp" "$cds"; else rm -f "$tmp"; fi
  fi
  return $rc
}

run_topic_command() {
  run_cds_tool topic-command org.apache.kafka.tools.TopicCommand \
    --command-config "$home/admin.properties" "$@"
}

run_acl_command() {
  run_cds_tool acl-command org.apache.kafka.tools.AclCommand \
    --command-config "$home/admin.properties" "$@"
}

# kcat as the admin user (SASL settings in DIR/kcat.conf).
kcat_admin() { kcat -F "$home/kcat.conf" "$@"; }

# Every user: admin and the services of the principals table.
all_users() {
  local entry
  echo admin
  for entry in "${principals[@]}"; do
    entry=${entry%% *}
    echo "${entry%:ro}"
  done
}

password_file() { echo "$home/users/$1.password"; }

# A random password per user, made once per DIR (mode 0600), and the admin's client
# settings for the Java tools and for kcat. Hex only, so it needs no quoting anywhere
# (JAAS config, --add-scram, properties files).
ensure_users() {
  local user f
  mkdir -p "$home/users"
  chmod 700 "$home/users"
  for user in $(all_users); do
    f=$(password_file "$user")
    if [ ! -s "$f" ]; then
      (umask 077; openssl rand -hex 24 >"$f.tmp") || die "cannot make a password for $user"
      mv "$f.tmp" "$f"
    fi
  done
  admin_password=$(cat "$(password_file admin)")
  (umask 077
   cat >"$home/admin.properties.tmp" <<EOF
# Written by deploy/local/kafka.sh: the admin user's client settings (Java tools).
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_password";
EOF
   cat >"$home/kcat.conf.tmp" <<EOF
# Written by deploy/local/kafka.sh: the admin user's librdkafka settings (kcat -F).
# PLAIN: librdkafka < 2.6.1 cannot do SCRAM with Kafka 4 (see kafka.sh).
security.protocol=SASL_PLAINTEXT
sasl.mechanisms=PLAIN
sasl.username=admin
sasl.password=$admin_password
EOF
  ) || die "cannot write the admin client settings in $home"
  mv "$home/admin.properties.tmp" "$home/admin.properties"
  mv "$home/kcat.conf.tmp" "$home/kcat.conf"
}

# The ACLs of the principals table, applied once per DIR (and again when acl_version
# changes; adding an ACL that exists is a no-op). Two AclCommand runs per service:
#   - its own topics, salesops.<service>. and its dead-letter topics salesops.<service>-
#     (both prefixed): WRITE, DESCRIBE, CREATE (--producer);
#   - the event topics it consumes, salesops.<other>. (prefixed; dead-letter topics are
#     named salesops.<other>-... and stay out), and its groups <service>- (prefixed):
#     READ, DESCRIBE on the topics, READ on the groups (--consumer).
apply_acls() {
  local bootstrap=$1 stamp="$home/acls.applied" entry user ro reads r topics owner prefixes p
  [ "$(cat "$stamp" 2>/dev/null)" = "$acl_version" ] && return 0
  par_begin
  for entry in "${principals[@]}"; do
    read -r user reads <<<"$entry"
    ro=0
    [ "${user%:ro}" != "$user" ] && { ro=1; user=${user%:ro}; }
    if [ $ro = 0 ]; then
      topics=(--topic "salesops.$user." --topic "salesops.$user-")
      for entry in "${extra_writes[@]}"; do
        read -r owner prefixes <<<"$entry"
        [ "$owner" = "$user" ] || continue
        for p in $prefixes; do topics+=(--topic "salesops.$p."); done
      done
      par_run "granting $user its own topics" run_acl_command \
        --bootstrap-server "$bootstrap" --add --allow-principal "User:$user" \
        --producer --resource-pattern-type prefixed "${topics[@]}"
    fi
    topics=()
    for r in $reads; do topics+=(--topic "salesops.$r."); done
    par_run "granting $user the topics it reads" run_acl_command \
      --bootstrap-server "$bootstrap" --add --allow-principal "User:$user" \
      --consumer --resource-pattern-type prefixed "${topics[@]}" --group "$user-"
  done
  par_end
  echo "$acl_version" >"$stamp"
}

# A few CLI JVMs at a time (par_run), so a fresh broker's ACLs and topics take seconds,
# not a minute: a JVM start is mostly single-threaded class loading. par_begin starts a
# batch, par_run DESCRIPTION COMMAND... queues one (its output is kept only if it fails),
# par_end waits for the batch and dies naming the first failure. Jobs are tracked by pid:
# the broker itself may be a background job of this shell.
parallel=3
par_begin() { par_dir=$(mktemp -d "$home/.jobs.XXXXXX"); par_pids=(); par_n=0; }
par_live() {
  local n=0 p
  for p in "${par_pids[@]}"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
  echo $n
}
par_run() {
  local desc=$1
  shift
  while [ "$(par_live)" -ge $parallel ]; do wait -n 2>/dev/null || true; done
  par_n=$((par_n + 1))
  (
    out=$("$@" 2>&1) || { printf '%s failed: %s\n' "$desc" "$out" >"$par_dir/$par_n.failed"; exit 1; }
  ) &
  par_pids+=($!)
}
par_end() {
  local p f
  for p in "${par_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for f in "$par_dir"/*.failed; do
    [ -e "$f" ] || continue
    local why
    why=$(cat "$f")
    rm -rf "$par_dir"
    die "$why"
  done
  rm -rf "$par_dir"
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

# The user_<name>="<password>" entries of the broker listener's PLAIN login module.
plain_users() {
  local user
  for user in $(all_users); do
    printf ' user_%s="%s"' "$user" "$(cat "$(password_file "$user")")"
  done
}

listeners_line() {
  echo "listeners=BROKER://127.0.0.1:$1,CONTROLLER://127.0.0.1:$2${mtls_port:+,MTLS://127.0.0.1:$mtls_port}"
}

# Set by `start ... MTLS_PORT TLS_DIR`: a third listener, TLS with client certificates.
mtls_port=""
mtls_tls_dir=""

# The MTLS listener: TLS with the server certificate of deploy/local/tls.sh, client
# certificates required and verified against its CA, and the user taken from the
# certificate's CN (tls.sh's client-<service>.pem is CN=<service>), so the same users and
# ACLs apply as on the SASL listener. This is how Strimzi's `authentication: tls` users
# (the Helm chart's default) reach Kafka: the services' --kafka_client_cert_file path.
mtls_lines() {
  [ -n "$mtls_port" ] || return 0
  cat <<EOF2
listener.name.mtls.ssl.client.auth=required
listener.name.mtls.ssl.keystore.type=PEM
listener.name.mtls.ssl.keystore.location=$dir/mtls/keystore.pem
listener.name.mtls.ssl.truststore.type=PEM
listener.name.mtls.ssl.truststore.location=$dir/mtls/ca.pem
listener.name.mtls.ssl.principal.mapping.rules=RULE:^CN=([^,]+),.*\$/\$1/,RULE:^CN=([^,]+)\$/\$1/,DEFAULT
EOF2
}

# The MTLS listener's key store (key + certificate, PEM) and trust store, copied from
# TLS_DIR at every start (tls.sh renews certificates in place).
write_mtls_stores() {
  [ -n "$mtls_port" ] && [ -n "$mtls_tls_dir" ] || return 0
  local t=$mtls_tls_dir
  [ -s "$t/server.pem" ] && [ -s "$t/server.key" ] && [ -s "$t/ca.pem" ] ||
    die "$t has no server.pem, server.key and ca.pem (run deploy/local/tls.sh $t)"
  mkdir -p "$dir/mtls"
  (umask 077; cat "$t/server.key" "$t/server.pem" >"$dir/mtls/keystore.pem.tmp")
  mv "$dir/mtls/keystore.pem.tmp" "$dir/mtls/keystore.pem"
  cp "$t/ca.pem" "$dir/mtls/ca.pem"
}

# Replication of a single node (1) or of a cluster (3 copies, a write acknowledged once
# 2 have it: with acks=all a node can die without losing an acknowledged record, and
# writes go on). A cluster's are set by load_cluster.
replication=1
min_insync=1

# The quorum lines: a single node has a dynamic quorum (kraft.version 1, formatted with
# --standalone); a cluster's three nodes are the static voters ($voters, "1@host:port,...").
quorum_lines() {
  if [ -n "${voters:-}" ]; then
    echo "# Static KRaft quorum of the cluster's three nodes (each combined broker+controller)."
    echo "controller.quorum.voters=$voters"
  else
    echo "# Dynamic KRaft quorum (kraft.version 1), storage formatted with --standalone."
    echo "controller.quorum.bootstrap.servers=127.0.0.1:$1"
  fi
}

# server.properties holds the admin password (JAAS): mode 0600.
write_config() {
  local bport=$1 cport=$2 node=${3:-1}
  (umask 077; cat >"$dir/server.properties.tmp") <<EOF
# Written by deploy/local/kafka.sh; KRaft node $node (combined broker+controller).
process.roles=broker,controller
node.id=$node
$(quorum_lines "$cport")
$(listeners_line "$bport" "$cport")
advertised.listeners=BROKER://127.0.0.1:$bport${mtls_port:+,MTLS://127.0.0.1:$mtls_port}
listener.security.protocol.map=BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT${mtls_port:+,MTLS:SSL}
$(mtls_lines)
controller.listener.names=CONTROLLER
inter.broker.listener.name=BROKER
log.dirs=$dir/data

# Clients (and the broker to itself) authenticate with SCRAM-SHA-512, whose credentials
# are written into the metadata log at format time (--add-scram), or with PLAIN against
# the same users and passwords listed here (librdkafka < 2.6.1 cannot do SCRAM with
# Kafka 4; see the top of kafka.sh). The controller listener cannot use SCRAM in KRaft
# (the controller starts before the metadata holding the credentials is read):
# SASL/PLAIN with the static admin user there.
listener.name.broker.sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.broker.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_password";
listener.name.broker.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$admin_password"$(plain_users);
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$admin_password" user_admin="$admin_password";
# Only what the ACLs grant (apply_acls); admin is the super user of scripts and tests.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false

num.partitions=3
default.replication.factor=$replication
min.insync.replicas=$min_insync
auto.create.topics.enable=false
offsets.topic.replication.factor=$replication
transaction.state.log.replication.factor=$replication
transaction.state.log.min.isr=$min_insync
share.coordinator.state.topic.replication.factor=$replication
share.coordinator.state.topic.min.isr=$min_insync
# A follower that is not in sync never becomes leader: an acknowledged record is never
# lost to a leader election (the default, stated because this is what acks=all relies on).
unclean.leader.election.enable=false
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

# Reads the "name partitions [compact]" lines of the topics file into the arrays
# topic_names/topic_parts/topic_configs.
read_topics() {
  [ -r "$topics_file" ] || die "topics file $topics_file not found"
  topic_names=() topic_parts=() topic_configs=()
  local line name parts policy extra
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%%#*}
    read -r name parts policy extra <<<"$line" || true
    [ -n "${name:-}" ] || continue
    [[ "${parts:-}" =~ ^[1-9][0-9]*$ ]] && [[ "${policy:-}" =~ ^(|compact)$ ]] &&
      [ -z "${extra:-}" ] || die "$topics_file: bad line '$line' (want: name partitions [compact])"
    topic_names+=("$name") topic_parts+=("$parts")
    topic_configs+=("${policy:+cleanup.policy=$policy}")
  done <"$topics_file"
}

# Creates the topics of the topics file that the broker doesn't have yet. One JVM launch
# per missing topic (TopicCommand creates one topic per run), so a restart costs none.
create_topics() {
  local bootstrap=$1 meta i name parts have config created=()
  read_topics
  par_begin
  meta=$(kcat_admin -b "$bootstrap" -L -m 10 -q 2>&1) || die "cannot list topics on $bootstrap: $meta"
  for i in "${!topic_names[@]}"; do
    name=${topic_names[$i]} parts=${topic_parts[$i]} config=()
    [ -z "${topic_configs[$i]}" ] || config=(--config "${topic_configs[$i]}")
    have=$(awk -v t="\"$name\"" '$1 == "topic" && $2 == t { print $4 }' <<<"$meta")
    if [ -n "$have" ]; then
      [ "$have" = "$parts" ] ||
        echo "kafka.sh: warning: topic $name has $have partitions, $topics_file says $parts" >&2
      continue
    fi
    par_run "creating topic $name" run_topic_command --bootstrap-server "$bootstrap" \
      --create --if-not-exists --topic "$name" --partitions "$parts" \
      --replication-factor "$replication" --config "min.insync.replicas=$min_insync" "${config[@]}"
    created+=("$name ($parts partitions)")
  done
  par_end
  for name in "${created[@]}"; do echo "kafka.sh: created topic $name"; done
}

# Waits until node $3 (default 1), process $1, lists itself in the metadata it serves on
# 127.0.0.1:$2 (for a node of a cluster: it has registered with the quorum).
wait_ready() {
  local pid=$1 bport=$2 node=${3:-1} deadline=$((SECONDS + start_timeout))
  while :; do
    pid_alive "$pid" || {
      rm -f "$dir/kafka.pid"
      echo "kafka.sh: broker in $dir exited during startup" >&2; show_logs; exit 1; }
    if port_open "$bport" &&
       kcat_admin -b "127.0.0.1:$bport" -L -m 5 -q 2>/dev/null |
         grep -q "^ *broker $node at 127\.0\.0\.1:$bport\b"; then
      return 0
    fi
    [ $SECONDS -lt $deadline ] || {
      echo "kafka.sh: broker in $dir not answering on 127.0.0.1:$bport after ${start_timeout}s" >&2
      show_logs; exit 1; }
    sleep 0.5
  done
}

# An existing DIR keeps its config (and so its data): the ports must be the same, and
# it must have been set up with SASL (a DIR of an older kafka.sh has no users).
check_existing_config() {
  local bport=$1 cport=$2
  [ -f "$dir/server.properties" ] || return 0
  grep -q '^listener.name.broker.sasl.enabled.mechanisms=' "$dir/server.properties" ||
    die "$dir was set up by an older kafka.sh without SASL users; remove it (rm -rf $dir) or use a fresh DIR"
  grep -qxF "$(listeners_line "$bport" "$cport")" "$dir/server.properties" ||
    die "$dir/server.properties was written for other ports ($(grep '^listeners=' "$dir/server.properties")); use those or a fresh DIR"
}

# Starts the broker of $dir (node $3 of cluster $4, or a single node when $4 is empty) in
# the background and sets pid; does not wait for it.
launch_node() {
  local bport=$1 cport=$2 node=$3 cluster_id=$4
  rm -f "$dir/kafka.pid"
  # Don't start into ports someone else holds: kcat would then happily talk to the wrong
  # broker. (A broker that was just killed may hold its ports for a moment longer.)
  local p deadline=$((SECONDS + 5))
  for p in "$bport" "$cport" ${mtls_port:+"$mtls_port"}; do
    while port_open "$p"; do
      [ $SECONDS -lt $deadline ] || die "port $p on 127.0.0.1 is already in use"
      sleep 0.2
    done
  done

  [ -f "$dir/server.properties" ] || write_config "$bport" "$cport" "$node"
  mkdir -p "$dir/logs"

  if [ ! -f "$dir/data/meta.properties" ]; then
    local out user scram=() quorum=(--standalone)
    for user in $(all_users); do
      scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(cat "$(password_file "$user")")]")
    done
    # The nodes of a cluster share its id and know their voters from the config.
    [ -n "$cluster_id" ] && quorum=() || cluster_id=$(random_cluster_id)
    out=$(run_tool kafka.tools.StorageTool format --config "$dir/server.properties" \
      --cluster-id "$cluster_id" "${quorum[@]}" --ignore-formatted "${scram[@]}" 2>&1) ||
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
}

cmd_start() {
  [ $# -eq 3 ] || [ $# -eq 5 ] || usage
  local bport=$2 cport=$3 pid
  check_port "$bport"; check_port "$cport"
  [ "$bport" != "$cport" ] || die "broker and controller ports must differ"
  if [ $# -eq 5 ]; then
    mtls_port=$4
    mtls_tls_dir=$(cd "$5" && pwd) || die "no TLS_DIR $5"
    check_port "$mtls_port"
    [ "$mtls_port" != "$bport" ] && [ "$mtls_port" != "$cport" ] || die "the MTLS port must differ from the others"
  fi
  check_libs
  resolve_dir "$1"
  [ ! -f "$dir/cluster.conf" ] || die "$dir holds a cluster: use start-cluster"
  # Serialise concurrent starts of the same DIR (the broker must not inherit fd 9).
  exec 9>"$dir/.start.lock"
  flock 9
  # A restart without MTLS_PORT keeps the listener the DIR was made with (and its stores).
  if [ -z "$mtls_port" ] && [ -f "$dir/server.properties" ]; then
    mtls_port=$(sed -n 's/^listeners=.*,MTLS:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/server.properties")
  fi
  check_existing_config "$bport" "$cport"
  ensure_users

  if pid=$(broker_pid); then
    wait_ready "$pid" "$bport"
    echo "kafka.sh: broker already running in $dir (pid $pid) on 127.0.0.1:$bport"
  else
    write_mtls_stores
    launch_node "$bport" "$cport" 1 ""
    wait_ready "$pid" "$bport"
    echo "kafka.sh: broker up in $dir (pid $pid) on 127.0.0.1:$bport after ${SECONDS}s"
  fi
  apply_acls "127.0.0.1:$bport"
  create_topics "127.0.0.1:$bport"
}

# A cluster DIR: cluster.conf holds "B1:C1 B2:C2 B3:C3" (node N's broker and controller
# ports). Sets cluster_specs, voters, replication and min_insync; home is the cluster DIR.
load_cluster() {
  local c=$1
  read -r -a cluster_specs <"$c/cluster.conf" || die "cannot read $c/cluster.conf"
  [ ${#cluster_specs[@]} -eq 3 ] || die "$c/cluster.conf: want three B:C port pairs"
  local n spec
  voters=""
  for n in 1 2 3; do
    spec=${cluster_specs[$((n - 1))]}
    voters+="${voters:+,}$n@127.0.0.1:${spec#*:}"
  done
  replication=3
  min_insync=2
  home=$c
}

cluster_bootstrap() {
  local spec out=""
  for spec in "${cluster_specs[@]}"; do out+="${out:+,}127.0.0.1:${spec%%:*}"; done
  echo "$out"
}

cmd_start_cluster() {
  [ $# -eq 1 ] || [ $# -eq 4 ] || usage
  check_libs
  resolve_dir "$1"
  local cluster=$dir spec n bport cport pid pids=() all_ports=()
  exec 9>"$cluster/.start.lock"
  flock 9
  if [ $# -eq 4 ]; then
    for spec in "$2" "$3" "$4"; do
      [[ "$spec" =~ ^[0-9]+:[0-9]+$ ]] || die "bad node ports '$spec' (want BROKER_PORT:CONTROLLER_PORT)"
      check_port "${spec%%:*}"; check_port "${spec#*:}"
      all_ports+=("${spec%%:*}" "${spec#*:}")
    done
    [ "$(printf '%s\n' "${all_ports[@]}" | sort -u | wc -l)" -eq 6 ] || die "the six ports must differ"
    if [ -f "$cluster/cluster.conf" ]; then
      [ "$(cat "$cluster/cluster.conf")" = "$2 $3 $4" ] ||
        die "$cluster was set up for other ports ($(cat "$cluster/cluster.conf")); use those or a fresh DIR"
    else
      [ ! -f "$cluster/server.properties" ] || die "$cluster holds a single broker: use start"
      echo "$2 $3 $4" >"$cluster/cluster.conf"
    fi
  fi
  [ -f "$cluster/cluster.conf" ] || die "$cluster has no cluster yet: give the three nodes' ports"
  load_cluster "$cluster"
  ensure_users
  [ -s "$home/cluster.id" ] || random_cluster_id >"$home/cluster.id"

  # Start every node that is not running first (a node waits for a quorum of the others),
  # then wait for each to register.
  for n in 1 2 3; do
    dir="$cluster/node-$n"
    mkdir -p "$dir"
    spec=${cluster_specs[$((n - 1))]}
    bport=${spec%%:*} cport=${spec#*:}
    check_existing_config "$bport" "$cport"
    if ! pid=$(broker_pid); then
      launch_node "$bport" "$cport" "$n" "$(cat "$home/cluster.id")"
    fi
    pids+=("$pid")
  done
  for n in 1 2 3; do
    dir="$cluster/node-$n"
    spec=${cluster_specs[$((n - 1))]}
    wait_ready "${pids[$((n - 1))]}" "${spec%%:*}" "$n"
  done
  dir=$cluster
  echo "kafka.sh: cluster up in $cluster (pids ${pids[*]}) on $(cluster_bootstrap) after ${SECONDS}s"
  apply_acls "$(cluster_bootstrap)"
  create_topics "$(cluster_bootstrap)"
}

cmd_bootstrap() {
  [ $# -eq 1 ] || usage
  [ -d "$1" ] || die "no broker DIR $1"
  dir=$(cd "$1" && pwd)
  if [ -f "$dir/cluster.conf" ]; then
    load_cluster "$dir"
    cluster_bootstrap
  else
    sed -n 's/^advertised.listeners=BROKER:\/\///p' "$dir/server.properties"
  fi
}

cmd_leader() {
  [ $# -eq 3 ] || usage
  [[ "$3" =~ ^[0-9]+$ ]] || die "bad partition '$3'"
  local bootstrap leader
  bootstrap=$(cmd_bootstrap "$1")
  dir=$(cd "$1" && pwd)
  home=$dir
  leader=$(kcat_admin -b "$bootstrap" -L -t "$2" -m 10 2>/dev/null |
    awk -v p="$3" '$1 == "partition" && $2 == p "," { sub(",", "", $4); print $4 }')
  [[ "$leader" =~ ^[0-9]+$ ]] || die "no leader for $2 partition $3 on $bootstrap"
  echo "$leader"
}

cmd_create_topics() {
  [ $# -eq 2 ] || usage
  check_port "$2"
  check_libs
  resolve_dir "$1"
  [ ! -f "$dir/cluster.conf" ] || load_cluster "$dir"
  [ -s "$dir/kcat.conf" ] || die "$dir has no admin settings; start the broker there first"
  create_topics "127.0.0.1:$2"
}

cmd_password() {
  [ $# -eq 2 ] || usage
  [ -d "$1" ] || die "no broker DIR $1"
  dir=$(cd "$1" && pwd)
  home=$dir
  # A node of a cluster: the users are the cluster's.
  [ -f "$dir/../cluster.conf" ] && home=$(cd "$dir/.." && pwd)
  [ -s "$(password_file "$2")" ] || die "no user $2 in $home (users: $(all_users | tr '\n' ' '))"
  password_file "$2"
}

# Waits up to $2 seconds for pid $1 to exit; returns 1 if it is still there.
wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# The brokers' folders of DIR: its nodes for a cluster, else DIR itself.
broker_dirs() {
  local d
  d=$(cd "$1" && pwd)
  if [ -f "$d/cluster.conf" ]; then
    echo "$d/node-1" "$d/node-2" "$d/node-3"
  else
    echo "$d"
  fi
}

# SIGTERM to every broker of DIR at once (the nodes of a cluster leave together, so
# none waits on a quorum that is going away), up to 30 s, then SIGKILL.
cmd_stop() {
  [ $# -eq 1 ] || usage
  [ -d "$1" ] || return 0
  local pid pids=() d
  for d in $(broker_dirs "$1"); do
    dir=$d
    if pid=$(broker_pid); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for pid in "${pids[@]}"; do
    if ! wait_exit "$pid" "$stop_timeout"; then
      echo "kafka.sh: broker $pid did not stop within ${stop_timeout}s, killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      wait_exit "$pid" 10 || die "broker $pid survived SIGKILL"
    fi
  done
  for d in $(broker_dirs "$1"); do rm -f "$d/kafka.pid"; done
}

cmd_kill() {
  [ $# -eq 1 ] || usage
  [ -d "$1" ] || return 0
  local pid d
  for d in $(broker_dirs "$1"); do
    dir=$d
    if pid=$(broker_pid); then
      kill -KILL "$pid" 2>/dev/null || true
      wait_exit "$pid" 10 || die "broker $pid survived SIGKILL"
    fi
    rm -f "$dir/kafka.pid"
  done
}

[ $# -ge 1 ] || usage
action=$1; shift
case "$action" in
  start) cmd_start "$@" ;;
  start-cluster) cmd_start_cluster "$@" ;;
  bootstrap) cmd_bootstrap "$@" ;;
  leader) cmd_leader "$@" ;;
  create-topics) cmd_create_topics "$@" ;;
  password) cmd_password "$@" ;;
  stop) cmd_stop "$@" ;;
  kill) cmd_kill "$@" ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
