#!/usr/bin/env bash
# Runs a throw-away local redis-server for local runs and tests: bound to 127.0.0.1 only,
# AOF persistence (appendfsync everysec, no RDB snapshots), everything of one instance in
# DIR (appendonlydir/, redis.log, redis.pid, users.acl, users/). Several instances can run
# in different DIRs.
#
# Access is by ACL user only (DIR/users.acl, rewritten on every start): a connection that
# has not sent AUTH can do nothing, since the `default` user has a random password that
# nothing uses (it keeps all permissions because Redis 7.0 replays the AOF's MULTI/EXEC
# blocks - our scripts' effects - as the default user: restricting it loses every script's
# writes on restart); `admin` may do everything (tests, benchmarks, ops); each service's
# user may touch only its own keyspace
# (org:{org}:*, cust:{cust}:*, tgt:{tgt}:*, warn:{warn}:*; ready for perf:{perf}:*,
# fcst:{fcst}:*, sync:{sync}:*, gw:{gw}:*) with the commands the services use - scripts
# included: Redis checks every key a script touches against the caller's patterns.
# Passwords are random, made once per DIR in DIR/users/<user>.password (mode 0600); the
# ACL file holds only their SHA-256.
#
# Usage:
#   redis.sh start DIR PORT     start daemonized (idempotent) and wait for PONG (20 s)
#   redis.sh stop DIR           SIGTERM, wait up to 10 s, then SIGKILL
#   redis.sh kill DIR           SIGKILL (crash simulation; AOF keeps writes older than ~1 s)
#   redis.sh password DIR USER  print the path of USER's password file
#   redis.sh cli DIR PORT ARGS  redis-cli as admin (e.g. `redis.sh cli .run/redis 6380 info`)
# High availability (a primary, its replicas and three Sentinels; each in its own DIR):
#   redis.sh start-primary DIR PORT                   like start, able to become a replica
#   redis.sh start-replica DIR PORT PDIR PPORT        a replica of the primary in PDIR
#                                                     (same users and passwords); also how a
#                                                     failed primary rejoins, as a replica
#   redis.sh start-sentinel DIR PORT PDIR PPORT       a Sentinel watching it as "salesops"
#                                                     (quorum 2, down after 1 s); clients
#                                                     authenticate with PDIR/users/sentinel.password
# Nodes replicate and Sentinels monitor as `admin`; those settings (with the password) live
# in DIR/node.conf or DIR/sentinel.conf (mode 0600, rewritten by Redis on a failover), never
# on a command line.
set -euo pipefail

# "<user> <key prefix>": the services' keyspaces. Keep in step with kKeyPrefix in
# services/*/store (every key a service touches, outbox stream and processed-event
# `seen:` keys included, starts with its prefix).
service_users=(
  "org org:{org}:"
  "customers cust:{cust}:"
  "targets tgt:{tgt}:"
  "warning warn:{warn}:"
  "performance perf:{perf}:"
  "forecast fcst:{fcst}:"
  "sync sync:{sync}:"
  "gateway gw:{gw}:"
)
# What common/redis, common/outbox, common/docstore and the services' stores send (grep
# for the command names there when adding one). Scripts (EVAL/EVALSHA) may call only
# what the caller may call, on keys the caller may touch. ROLE and WAIT: a client that
# follows a Sentinel-managed primary checks the role it connected to and waits for replicas.
service_commands="-@all +ping +get +mget +set +del +exists +type +hget +hmget +hgetall +hvals
  +hset +hsetnx +hincrby +hdel +sadd +srem +smembers +scard +zadd +zrem +zrange +zrangebylex
  +zrangebyscore +zscore +zcard +xadd +xlen +xgroup|create +xreadgroup +xack +xdel +xautoclaim +xclaim
  +eval +evalsha +role +wait"

# Users with a read cache (common/redis/redis_read_cache.h) may also ask Redis to report
# changes of keys (CLIENT TRACKING ... BCAST, on channel __redis__:invalidate). Only
# those: Redis 7.0 does not check a tracking prefix against the user's key patterns, so
# it could learn other keyspaces' key names (not values).
read_cache_users="org"
read_cache_permissions="&__redis__:invalidate +client|id +client|tracking +subscribe"
start_timeout=20
stop_timeout=10

die() { echo "redis.sh: $*" >&2; exit 1; }

usage() {
  sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

# True when $1 is a live process (an unreaped zombie whose threads are all gone is dead).
pid_alive() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$state" != Z ] && return 0
  [ "$(ls "/proc/$1/task" 2>/dev/null | wc -l)" -gt 1 ]
}

# Pid from DIR/redis.pid if that process is alive and is a redis-server (not a reused pid).
redis_pid() {
  local pid
  [ -f "$dir/redis.pid" ] || return 1
  pid=$(cat "$dir/redis.pid" 2>/dev/null) || return 1
  pid_alive "$pid" || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = redis-server ] || return 1
  echo "$pid"
}

password_file() { echo "$dir/users/$1.password"; }

# redis-cli as admin on 127.0.0.1:$1 (the password through the environment, not argv).
admin_cli() {
  local port=$1
  shift
  REDISCLI_AUTH=$(cat "$(password_file admin)") redis-cli --user admin -h 127.0.0.1 -p "$port" "$@"
}

ping() { [ "$(admin_cli "$1" ping 2>/dev/null)" = PONG ]; }

# Pid of the redis-server answering on 127.0.0.1:$1 (empty if none answers to our admin).
served_by() {
  admin_cli "$1" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p'
}

# Passwords (made once per DIR, hex so they need no quoting) and DIR/users.acl from them.
write_acl() {
  local user prefix f entry extra
  mkdir -p "$dir/users"
  chmod 700 "$dir/users"
  for user in default admin $(for entry in "${service_users[@]}"; do echo "${entry%% *}"; done); do
    f=$(password_file "$user")
    if [ ! -s "$f" ]; then
      (umask 077; openssl rand -hex 24 >"$f.tmp") || die "cannot make a password for $user"
      mv "$f.tmp" "$f"
    fi
  done
  sha() { printf '%s' "$(cat "$(password_file "$1")")" | sha256sum | cut -d' ' -f1; }
  {
    echo "user default on #$(sha default) ~* &* +@all"
    echo "user admin on #$(sha admin) ~* &* +@all"
    for entry in "${service_users[@]}"; do
      read -r user prefix <<<"$entry"
      extra=""
      case " $read_cache_users " in *" $user "*) extra=" $read_cache_permissions" ;; esac
      echo "user $user on #$(sha "$user") resetchannels ~$prefix* $(echo $service_commands)$extra"
    done
  } | (umask 077; cat >"$dir/users.acl.tmp") || die "cannot write $dir/users.acl"
  mv "$dir/users.acl.tmp" "$dir/users.acl"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

show_log() {
  [ -s "$dir/redis.log" ] || return 0
  echo "---- tail of $dir/redis.log" >&2
  tail -n 30 "$dir/redis.log" >&2
}

# Waits up to $2 seconds for pid $1 to exit; returns 1 if it is still there.
wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

cmd_start() {
  [ $# -eq 2 ] || usage
  local port=$2 pid
  [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "bad port '$port'"
  mkdir -p "$1"
  dir=$(cd "$1" && pwd)

  if pid=$(redis_pid); then
    # Ours is running (with the ACL file it was started with): it must be the one
    # answering on this port.
    if [ "$(served_by "$port")" = "$pid" ]; then
      echo "redis.sh: redis already running in $dir (pid $pid) on 127.0.0.1:$port"
      return 0
    fi
    die "redis in $dir (pid $pid) is running but not answering on port $port; stop it first"
  fi
  rm -f "$dir/redis.pid"
  write_acl
  # Don't start into a port someone else holds: the PONG would come from the wrong server.
  local deadline=$((SECONDS + 5))
  while port_open "$port"; do
    [ $SECONDS -lt $deadline ] || die "port $port on 127.0.0.1 is already in use"
    sleep 0.2
  done

  redis-server ${node_conf:+"$node_conf"} --daemonize yes --bind 127.0.0.1 --port "$port" --protected-mode yes \
    --aclfile "$dir/users.acl" \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    --appendonly yes --appendfsync everysec --save "" </dev/null >/dev/null ||
    { show_log; die "redis-server failed to start"; }

  deadline=$((SECONDS + start_timeout))
  until ping "$port"; do
    if [ $SECONDS -ge $deadline ]; then
      echo "redis.sh: redis in $dir not answering PONG on 127.0.0.1:$port after ${start_timeout}s" >&2
      show_log; exit 1
    fi
    # The daemon writes its pidfile right after forking; once it is there it must stay alive.
    if [ -s "$dir/redis.pid" ] && ! redis_pid >/dev/null; then
      echo "redis.sh: redis in $dir exited during startup" >&2
      show_log; exit 1
    fi
    sleep 0.1
  done
  echo "redis.sh: redis up in $dir (pid $(cat "$dir/redis.pid" 2>/dev/null)) on 127.0.0.1:$port"
}

cmd_stop() {
  [ $# -eq 1 ] || usage
  [ -d "$1" ] || return 0
  dir=$(cd "$1" && pwd)
  local pid
  if pid=$(redis_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_exit "$pid" "$stop_timeout"; then
      echo "redis.sh: redis $pid did not stop within ${stop_timeout}s, killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      wait_exit "$pid" 5 || die "redis $pid survived SIGKILL"
    fi
  fi
  rm -f "$dir/redis.pid"
}

cmd_kill() {
  [ $# -eq 1 ] || usage
  [ -d "$1" ] || return 0
  dir=$(cd "$1" && pwd)
  local pid
  if pid=$(redis_pid); then
    kill -KILL "$pid" 2>/dev/null || true
    wait_exit "$pid" 5 || die "redis $pid survived SIGKILL"
  fi
  rm -f "$dir/redis.pid"
}

cmd_password() {
  [ $# -eq 2 ] || usage
  [ -d "$1" ] || die "no redis DIR $1"
  dir=$(cd "$1" && pwd)
  [ -s "$(password_file "$2")" ] || die "no user $2 in $dir (see $dir/users.acl)"
  password_file "$2"
}

cmd_cli() {
  [ $# -ge 2 ] || usage
  [ -d "$1" ] || die "no redis DIR $1"
  dir=$(cd "$1" && pwd)
  local port=$2
  shift 2
  [ -s "$(password_file admin)" ] || die "no admin password in $dir; start redis there first"
  admin_cli "$port" "$@"
}

node_conf=""

# DIR/node.conf: how this node authenticates to a primary, and whose replica it is.
write_node_conf() {
  local replica_of=$1
  node_conf="$dir/node.conf"
  (umask 077; {
    echo "masteruser admin"
    echo "masterauth $(cat "$(password_file admin)")"
    # A new replica syncs at once instead of waiting 5 s for others to join the transfer.
    echo "repl-diskless-sync-delay 0"
    [ -z "$replica_of" ] || echo "replicaof 127.0.0.1 $replica_of"
  } >"$node_conf")
}

# Copies the primary's users (passwords) into DIR so every node and Sentinel shares them.
share_users() {
  local pdir=$1
  [ -s "$pdir/users/admin.password" ] || die "no primary in $pdir (start it first)"
  mkdir -p "$dir/users"
  chmod 700 "$dir/users"
  cp -n "$pdir"/users/*.password "$dir/users/"
}

cmd_start_primary() {
  [ $# -eq 2 ] || usage
  mkdir -p "$1"
  dir=$(cd "$1" && pwd)
  write_acl
  write_node_conf ""
  cmd_start "$@"
}

cmd_start_replica() {
  [ $# -eq 4 ] || usage
  local pdir
  mkdir -p "$1"
  dir=$(cd "$1" && pwd)
  pdir=$(cd "$3" && pwd)
  share_users "$pdir"
  write_acl
  # Also how a failed primary comes back: as a replica of the one Sentinel promoted.
  write_node_conf "$4"
  cmd_start "$1" "$2"
}

cmd_start_sentinel() {
  [ $# -eq 4 ] || usage
  local port=$2 pdir pport=$4 pw pid conf deadline
  mkdir -p "$1"
  dir=$(cd "$1" && pwd)
  pdir=$(cd "$3" && pwd)
  if [ ! -s "$pdir/users/sentinel.password" ]; then
    (umask 077; openssl rand -hex 24 >"$pdir/users/sentinel.password.tmp") ||
      die "cannot make the sentinel password"
    mv "$pdir/users/sentinel.password.tmp" "$pdir/users/sentinel.password"
  fi
  share_users "$pdir"
  if pid=$(redis_pid); then
    echo "redis.sh: sentinel already running in $dir (pid $pid)"
    return 0
  fi
  pw=$(cat "$dir/users/sentinel.password")
  conf="$dir/sentinel.conf"
  # Only on the first start: the Sentinel keeps what it learnt (the current primary, the
  # other Sentinels, the epoch) in this file.
  if [ ! -s "$conf" ]; then
    (umask 077; cat >"$conf" <<CONF
port $port
bind 127.0.0.1
protected-mode yes
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
requirepass $pw
sentinel sentinel-pass $pw
sentinel resolve-hostnames no
sentinel monitor salesops 127.0.0.1 $pport 2
sentinel auth-user salesops admin
sentinel auth-pass salesops $(cat "$dir/users/admin.password")
sentinel down-after-milliseconds salesops 1000
sentinel failover-timeout salesops 5000
sentinel parallel-syncs salesops 1
CONF
    )
  fi
  rm -f "$dir/redis.pid"
  redis-server "$conf" --sentinel </dev/null >/dev/null || { show_log; die "sentinel failed to start"; }
  deadline=$((SECONDS + start_timeout))
  until [ "$(REDISCLI_AUTH=$pw redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; do
    [ $SECONDS -lt $deadline ] || { show_log; die "sentinel in $dir not answering on $port"; }
    sleep 0.1
  done
  echo "redis.sh: sentinel up in $dir (pid $(cat "$dir/redis.pid" 2>/dev/null)) on 127.0.0.1:$port"
}

[ $# -ge 1 ] || usage
action=$1; shift
case "$action" in
  start) cmd_start "$@" ;;
  start-primary) cmd_start_primary "$@" ;;
  start-replica) cmd_start_replica "$@" ;;
  start-sentinel) cmd_start_sentinel "$@" ;;
  password) cmd_password "$@" ;;
  cli) cmd_cli "$@" ;;
  stop) cmd_stop "$@" ;;
  kill) cmd_kill "$@" ;;
  *) usage ;;
esac
