#!/usr/bin/env bash
# Runs a throw-away local redis-server for local runs and tests: bound to 127.0.0.1 only,
# AOF persistence (appendfsync everysec, no RDB snapshots), everything of one instance in
# DIR (appendonlydir/, redis.log, redis.pid). Several instances can run in different DIRs.
#
# Usage:
#   redis.sh start DIR PORT   start daemonized (idempotent) and wait for PONG (20 s)
#   redis.sh stop DIR         SIGTERM, wait up to 10 s, then SIGKILL
#   redis.sh kill DIR         SIGKILL (crash simulation; AOF keeps writes older than ~1 s)
set -euo pipefail

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

ping() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]; }

# Pid of the redis-server answering on 127.0.0.1:$1 (empty if none answers).
served_by() {
  redis-cli -h 127.0.0.1 -p "$1" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p'
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
    # Ours is running: it must be the one answering on this port.
    if [ "$(served_by "$port")" = "$pid" ]; then
      echo "redis.sh: redis already running in $dir (pid $pid) on 127.0.0.1:$port"
      return 0
    fi
    die "redis in $dir (pid $pid) is running but not answering on port $port; stop it first"
  fi
  rm -f "$dir/redis.pid"
  # Don't start into a port someone else holds: the PONG would come from the wrong server.
  local deadline=$((SECONDS + 5))
  while port_open "$port"; do
    [ $SECONDS -lt $deadline ] || die "port $port on 127.0.0.1 is already in use"
    sleep 0.2
  done

  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --protected-mode yes \
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

[ $# -ge 1 ] || usage
action=$1; shift
case "$action" in
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  kill) cmd_kill "$@" ;;
  *) usage ;;
esac
