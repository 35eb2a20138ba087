#!/usr/bin/env bash
# Real Apache Kafka (KRaft, single node) on loopback, from the official jars on Maven Central.
#
#   deploy/kafka/kafka.sh fetch            resolve the jars into $KAFKA_JARS (cached)
#   deploy/kafka/kafka.sh start [PORT]     format storage under $KAFKA_HOME_DIR, start, wait
#   deploy/kafka/kafka.sh stop             stop the broker started by `start`
#   deploy/kafka/kafka.sh restart          stop it and start it again on the same data
#   deploy/kafka/kafka.sh status           print the bootstrap address if running
#
# State lives under var/ (git-ignored); nothing is installed system-wide.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
jars=${KAFKA_JARS:-$root/var/cache/kafka-jars}
home=${KAFKA_HOME_DIR:-$root/var/kafka}
port=${2:-${KAFKA_PORT:-19092}}
controller_port=$((port + 1))
cp="$jars/*"
jvm=(-Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
     "-Dlog4j.configuration=file:$here/log4j.properties")

fetch() {
  if [ -f "$jars/.complete" ]; then return 0; fi
  mkdir -p "$jars"
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies \
      -Djars.dir="$jars" 1>&2
  touch "$jars/.complete"
}

is_up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  fetch
  if [ -f "$home/kafka.pid" ] && kill -0 "$(cat "$home/kafka.pid")" 2>/dev/null; then
    echo "127.0.0.1:$(cat "$home/port")"; return 0
  fi
  rm -rf "$home"; mkdir -p "$home/data"
  sed -e "s#@PORT@#$port#g" -e "s#@CONTROLLER_PORT@#$controller_port#g" \
      -e "s#@LOG_DIR@#$home/data#g" "$here/server.properties" > "$home/server.properties"
  java "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool format \
       -t "$(java "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
       -c "$home/server.properties" --ignore-formatted > "$home/format.log" 2>&1
  echo "$port" > "$home/port"
  launch
}

# Start the broker on the formatted data in $home (a restart keeps every topic and offset).
launch() {
  port=$(cat "$home/port")
  nohup java "${jvm[@]}" -cp "$cp" kafka.Kafka "$home/server.properties" \
       >> "$home/kafka.log" 2>&1 &
  echo $! > "$home/kafka.pid"
  for _ in $(seq 1 120); do
    if is_up "$port"; then echo "127.0.0.1:$port"; return 0; fi
    if ! kill -0 "$(cat "$home/kafka.pid")" 2>/dev/null; then
      echo "kafka exited during start; see $home/kafka.log" >&2; tail -20 "$home/kafka.log" >&2; return 1
    fi
    sleep 0.5
  done
  echo "kafka did not accept connections on $port within 60 s" >&2; return 1
}

stop() {
  [ -f "$home/kafka.pid" ] || return 0
  local pid; pid=$(cat "$home/kafka.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$home/kafka.pid"
}

status() {
  if [ -f "$home/kafka.pid" ] && kill -0 "$(cat "$home/kafka.pid")" 2>/dev/null; then
    echo "127.0.0.1:$(cat "$home/port")"
  else
    echo "not running"; return 1
  fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  restart) stop; launch ;;
  status) status ;;
  *) echo "usage: $0 fetch|start [PORT]|stop|restart|status" >&2; exit 2 ;;
esac
