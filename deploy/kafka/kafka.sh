#!/usr/bin/env bash
# Real Apache Kafka (KRaft) on loopback, from the official jars on Maven Central: one node by
# default, or a cluster of $KAFKA_NODES nodes (each broker and controller), replicated.
#
#   deploy/kafka/kafka.sh fetch            resolve the jars into $KAFKA_JARS (cached)
#   deploy/kafka/kafka.sh start [PORT]     format storage under $KAFKA_HOME_DIR, start, wait;
#                                          prints the bootstrap list
#   deploy/kafka/kafka.sh stop             stop every node started by `start`
#   deploy/kafka/kafka.sh restart          stop them and start them again on the same data
#   deploy/kafka/kafka.sh status           print the bootstrap list if running
#   deploy/kafka/kafka.sh kill NODE        kill -9 one node (fault drills)
#   deploy/kafka/kafka.sh launch NODE      start one node again on its data
#
# Node i (1..N) listens on PORT + 2(i-1) for clients and the next port for the controller
# quorum. With 3 nodes or more, topics default to replication factor 3 with
# min.insync.replicas=2 (internal topics too), so one broker may die without losing an
# acknowledged write. State lives under var/ (git-ignored); nothing is installed system-wide.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
jars=${KAFKA_JARS:-$root/var/cache/kafka-jars}
home=${KAFKA_HOME_DIR:-$root/var/kafka}
base_port=${2:-${KAFKA_PORT:-19092}}
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
nodes() { cat "$home/nodes"; }
port_of() { echo $(( $(cat "$home/port") + 2 * ($1 - 1) )); }
alive() { [ -f "$home/node-$1/kafka.pid" ] && kill -0 "$(cat "$home/node-$1/kafka.pid")" 2>/dev/null; }
bootstrap() {
  local list=() i
  for i in $(seq 1 "$(nodes)"); do list+=("127.0.0.1:$(port_of "$i")"); done
  (IFS=,; echo "${list[*]}")
}

start() {
  fetch
  if [ -f "$home/nodes" ] && alive 1; then bootstrap; return 0; fi
  local count=${KAFKA_NODES:-1} rf=1 isr=1 voters=() i cluster
  if [ "$count" -ge 3 ]; then rf=3; isr=2; fi
  rm -rf "$home"; mkdir -p "$home"
  echo "$base_port" > "$home/port"; echo "$count" > "$home/nodes"
  for i in $(seq 1 "$count"); do voters+=("$i@127.0.0.1:$(( $(port_of "$i") + 1 ))"); done
  cluster=$(java "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null)
  for i in $(seq 1 "$count"); do
    mkdir -p "$home/node-$i/data"
    sed -e "s#@NODE_ID@#$i#g" -e "s#@PORT@#$(port_of "$i")#g" \
        -e "s#@CONTROLLER_PORT@#$(( $(port_of "$i") + 1 ))#g" \
        -e "s#@VOTERS@#$(IFS=,; echo "${voters[*]}")#g" -e "s#@RF@#$rf#g" -e "s#@MIN_ISR@#$isr#g" \
        -e "s#@LOG_DIR@#$home/node-$i/data#g" "$here/server.properties" \
        > "$home/node-$i/server.properties"
    java "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool format -t "$cluster" \
         -c "$home/node-$i/server.properties" --ignore-formatted > "$home/node-$i/format.log" 2>&1
  done
  launch_all
}

# Start node $1 on its formatted data (a restart keeps every topic and offset); no wait.
spawn() {
  nohup java "${jvm[@]}" -cp "$cp" kafka.Kafka "$home/node-$1/server.properties" \
       >> "$home/node-$1/kafka.log" 2>&1 &
  echo $! > "$home/node-$1/kafka.pid"
}

# Wait until node $1 accepts connections.
await_node() {
  local port; port=$(port_of "$1")
  for _ in $(seq 1 120); do
    if is_up "$port"; then return 0; fi
    if ! alive "$1"; then
      echo "kafka node $1 exited during start; see $home/node-$1/kafka.log" >&2
      tail -20 "$home/node-$1/kafka.log" >&2; return 1
    fi
    sleep 0.5
  done
  echo "kafka node $1 did not accept connections on $port within 60 s" >&2; return 1
}

# The nodes of a quorum start together: each waits for the others' votes.
launch_all() {
  local i
  for i in $(seq 1 "$(nodes)"); do spawn "$i"; done
  for i in $(seq 1 "$(nodes)"); do await_node "$i"; done
  bootstrap
}

stop_node() {
  local signal=$1 node=$2 pid
  [ -f "$home/node-$node/kafka.pid" ] || return 0
  pid=$(cat "$home/node-$node/kafka.pid")
  kill "-$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$home/node-$node/kafka.pid"
}

stop() {
  [ -f "$home/nodes" ] || return 0
  local i
  for i in $(seq 1 "$(nodes)"); do stop_node TERM "$i" & done
  wait
}

status() {
  if [ -f "$home/nodes" ] && alive 1; then bootstrap; else echo "not running"; return 1; fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  restart) stop; launch_all ;;
  status) status ;;
  kill) stop_node KILL "${2:?node}" ;;
  launch) spawn "${2:?node}"; await_node "$2"; bootstrap ;;
  *) echo "usage: $0 fetch|start [PORT]|stop|restart|status|kill NODE|launch NODE" >&2; exit 2 ;;
esac
