#!/usr/bin/env bash
# lvsd against keepalived on the same work, in one VM run: both check the same 1,000 real servers (TCP_CHECK,
# delay_loop 1) for 20 s. Prints, for each daemon, how long after its start all 1,000 real servers were in the
# kernel table and how much CPU time (user+system, all its processes) it used over the 20 s after that, in
# BENCH_ROUNDS rounds (5 by default; the order alternates), then the ratios of the medians lvsd/keepalived (goals:
# both <= 1). Each run gets a fresh network namespace and fresh servers.
#
#   bench/lvsd-bench.sh            # builds lvsd (release) on the host, then runs inside the test VM
#   BENCH_SECONDS=20 BENCH_SERVERS=1000 bench/lvsd-bench.sh
#   BENCH_LOGS=DIR bench/lvsd-bench.sh   # also keep both daemons' logs in DIR (a directory under the project)
#   BENCH_THREADS=1 bench/lvsd-bench.sh  # also print each daemon thread's CPU ticks
#   BENCH_LVSD_ARGS=-D bench/lvsd-bench.sh  # extra arguments for lvsd (-D: each failed attempt's reason in its log)
#   BENCH_PERF=DIR bench/lvsd-bench.sh   # also record each daemon's window with perf (DIR/NAME.roundN.perf.data)
#   BENCH_LVSD=/path/to/lvsd bench/lvsd-bench.sh  # time this binary instead of building one
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
servers=${BENCH_SERVERS:-1000}
seconds=${BENCH_SECONDS:-20}

if [ "${LVS_IN_VM:-}" != 1 ] && [ ! -e /proc/net/ip_vs ]; then
    bash scripts/setup.sh >/dev/null
    if [ -z "${BENCH_LVSD:-}" ]; then
        # Static Swift runtime, as lvsd would be shipped: no Swift shared libraries to load and relocate at start.
        echo "bench: building lvsd (release, static Swift runtime)"
        swift build -c release --product lvsd --static-swift-stdlib >/dev/null
        BENCH_LVSD="$(swift build -c release --show-bin-path)/lvsd"
    fi
    export BENCH_LVSD
    exec bash scripts/vm.sh --timeout 1500 -- env BENCH_LVSD="$BENCH_LVSD" BENCH_SERVERS="$servers" BENCH_SECONDS="$seconds" BENCH_ROUNDS="${BENCH_ROUNDS:-5}" \
        BENCH_LOGS="${BENCH_LOGS:-}" BENCH_THREADS="${BENCH_THREADS:-}" BENCH_LVSD_ARGS="${BENCH_LVSD_ARGS:-}" BENCH_PERF="${BENCH_PERF:-}" bash bench/lvsd-bench.sh
fi
lvsd=${BENCH_LVSD:-$(swift build -c release --show-bin-path)/lvsd}
work=$(mktemp -d /tmp/lvsd-bench.XXXXXX)
ns=lvsbench
. bench/syslog-sink.sh
cleanup() {
    pkill -KILL -f "$work/" 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
    stop_syslog_sink
    rm -rf "$work"
}
trap cleanup EXIT
start_syslog_sink
{
    echo "addr add 10.30.0.1/32 dev lo"
    for i in $(seq 0 $((servers - 1))); do echo "addr add 10.20.$((i / 250)).$((i % 250 + 1))/32 dev lo"; done
} > "$work/addrs"

# One accepting server for every real-server address: accept, close. A small C server (bench/accept-close.c, one
# blocking accept loop per vCPU on SO_REUSEPORT listeners) keeps up with thousands of connects a second even under
# TCG, so the server is not what limits either daemon; python asyncio is the fallback when no C compiler exists.
if command -v cc >/dev/null && cc -O2 -pthread -o "$work/accept-close" bench/accept-close.c 2>"$work/cc.log"; then
    server_kind="C accept-close, $(nproc) threads"
    server_cmd=("$work/accept-close" 8080 "$(nproc)")
else
    server_kind="python asyncio (no C compiler: $(head -1 "$work/cc.log" 2>/dev/null))"
    cat > "$work/server.py" <<'PYSRV'
import asyncio
async def handle(reader, writer):
    writer.close()
async def main():
    server = await asyncio.start_server(handle, "0.0.0.0", 8080, backlog=4096)
    async with server:
        await server.serve_forever()
asyncio.run(main())
PYSRV
    server_cmd=(python3 "$work/server.py")
fi

# Each daemon gets a namespace of its own, made fresh: what one daemon's checks leave behind (the servers' TIME_WAIT
# sockets, ~60,000 of them after 20 s of keepalived's checks, live for 60 s) must not weigh on the next one's.
server_pid=""
start_namespace() {
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$ns" -batch "$work/addrs"
    ip netns exec "$ns" "${server_cmd[@]}" &
    server_pid=$!
    sleep 1
}
stop_namespace() {
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    ip netns delete "$ns"
}

{
    echo "virtual_server 10.30.0.1 80 {"
    echo "    delay_loop 1"
    echo "    lvs_sched wlc"
    echo "    lvs_method NAT"
    echo "    protocol TCP"
    for i in $(seq 0 $((servers - 1))); do
        echo "    real_server 10.20.$((i / 250)).$((i % 250 + 1)) 8080 {"
        echo "        weight 1"
        echo "        TCP_CHECK {"
        echo "            connect_timeout 3"
        echo "        }"
        echo "    }"
    done
    echo "}"
} > "$work/keepalived.conf"

# CPU ticks (utime+stime) of a process and all its descendants.
tree_ticks() {
    local root=$1 total=0 pid
    local pids="$root $(ps -o pid= --ppid "$root" 2>/dev/null || true)"
    for pid in $pids; do
        if [ -r "/proc/$pid/stat" ]; then
            total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
        fi
    done
    echo "$total"
}

# TCP ActiveOpens (connects started) in the bench namespace.
active_opens() {
    ip netns exec "$ns" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "ActiveOpens") c = i; h = 1 } else print $c }' /proc/net/snmp
}

cc -O2 -o "$work/table-watch" bench/table-watch.c

run_one() {
    local round=$1 name=$2; shift 2
    start_namespace
    local start end pid
    ip netns exec "$ns" "$work/table-watch" "$servers" > "$work/$name.table-time" &
    local watcher=$!
    sleep 0.2
    start=$EPOCHREALTIME
    ip netns exec "$ns" "$@" > "$work/$name.log" 2>&1 &
    pid=$!
    end=""
    # The watcher (bench/table-watch.c) runs in the daemon's namespace from before its start and prints the time
    # at which all real servers are in the table.
    wait "$watcher" 2>/dev/null && end=$(cat "$work/$name.table-time") || end=""
    echo "$start" > "$work/$name.start.log"
    local t0 t1
    # TCP connects started in the namespace over the same window (the kernel's ActiveOpens counter): both daemons
    # must do the same work, ~1 check per real server per second.
    local o0 o1
    o0=$(active_opens)
    t0=$(tree_ticks "$pid")
    if [ -n "${BENCH_PERF:-}" ]; then
        mkdir -p "$BENCH_PERF"
        perf record -F 2000 -g -o "$BENCH_PERF/$name.round$round.perf.data" \
            -p "$(echo "$pid" $(ps -o pid= --ppid "$pid" 2>/dev/null || true) | tr -s ' ' ',')" -- sleep "$seconds" >/dev/null 2>&1
    else
        sleep "$seconds"
    fi
    t1=$(tree_ticks "$pid")
    o1=$(active_opens)
    if [ -n "${BENCH_THREADS:-}" ]; then
        # Per-thread CPU ticks (utime stime) of the daemon's processes, to see which thread does the work.
        for p in $pid $(ps -o pid= --ppid "$pid" 2>/dev/null || true); do
            for t in /proc/$p/task/*; do
                [ -r "$t/stat" ] && echo "$name thread $(basename "$t") $(sed 's/.*) //' "$t/stat" | awk '{print "utime " $12 " stime " $13}') $(cat "$t/comm" 2>/dev/null)"
            done
        done | sed "s/^/round $round /" >> "$work/threads"
    fi
    local hz; hz=$(getconf CLK_TCK)
    local cpu; cpu=$(echo "scale=3; ($t1 - $t0) / $hz" | bc)
    local up; up=$(ip netns exec "$ns" ipvsadm -Ln | grep -c -- '-> 10.20' || true)
    cp "$work/$name.log" "$work/$name.run.log"   # what it logged while checking (not its shutdown)
    cp "$work/$name.run.log" "$work/$name.round$round.log"
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local took="never"
    [ -n "$end" ] && took=$(echo "scale=3; ($end - $start) / 1" | bc)
    printf '%-6s %-11s %14s %18s %16s %14s\n' "$round" "$name" "$took" "$cpu" "$up" "$((o1 - o0))"
    # Which checks failed, from the daemon's own log (both log keepalived's wording).
    local removed timeouts failed
    removed=$(grep -c 'Removing service' "$work/$name.run.log" || true)
    timeouts=$(grep -c 'TCP connection to .* timeout' "$work/$name.run.log" || true)
    failed=$(grep -c 'TCP connection to .* failed\|TCP_CHECK on service .* failed' "$work/$name.run.log" || true)
    echo "round $round $name log: $removed 'Removing service', $timeouts 'TCP connection to ... timeout', $failed other check failures" >> "$work/failures"
    echo "$took $cpu $(echo "scale=4; $cpu * 1000 / ($o1 - $o0)" | bc)" >> "$work/$name.results"
    stop_namespace
}

# The VM reads the host's files over 9p. The host's root (keepalived, its libraries, Swift's libraries) is mounted
# with caching, but the project's share is not: a binary exec'd from it is re-read over 9p at every page fault, which
# is the test rig's cost, not the daemon's. So both daemons run from a copy on the VM's local tmpfs, as an installed
# binary on a director's disk, and each is exec'd once (with its libraries read) before timing.
mkdir -p "$work/bin"
cp "$(command -v keepalived)" "$work/bin/keepalived"
cp "$lvsd" "$work/bin/lvsd"
for bin in "$work/bin/keepalived" "$work/bin/lvsd"; do
    cat "$bin" $(ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3}') > /dev/null 2>&1 || true
    "$bin" --version >/dev/null 2>&1 || true
done

rounds=${BENCH_ROUNDS:-5}
echo "bench: $servers real servers, TCP_CHECK, delay_loop 1, ${seconds}s per daemon, $rounds rounds (kernel $(uname -r)); server: $server_kind"
printf '%-6s %-11s %14s %18s %16s %14s\n' round daemon "all-in-table(s)" "cpu-in-${seconds}s(s)" "in-table-at-end" "connects-in-${seconds}s"
run_keepalived() { run_one "$1" keepalived "$work/bin/keepalived" -n -l -f "$work/keepalived.conf" -p "$work/ka.pid" -c "$work/kac.pid" --vrrp_pid "$work/kav.pid"; }
# shellcheck disable=SC2086  # BENCH_LVSD_ARGS: words
run_lvsd() { run_one "$1" lvsd "$work/bin/lvsd" -n -l -f "$work/keepalived.conf" -p "$work/lvsd.pid" ${BENCH_LVSD_ARGS:-}; }
# Rounds alternate which daemon goes first, so that neither always runs on a VM that has just done the other's work.
for round in $(seq 1 "$rounds"); do
    if [ $((round % 2)) = 1 ]; then run_keepalived "$round"; run_lvsd "$round"; else run_lvsd "$round"; run_keepalived "$round"; fi
done
cat "$work/failures"
[ -n "${BENCH_THREADS:-}" ] && cat "$work/threads"
if [ -n "${BENCH_LOGS:-}" ]; then mkdir -p "$BENCH_LOGS" && cp "$work"/*.log "$BENCH_LOGS"/; fi
# The median of the rounds ("never" sorts last).
median() { awk -v col="$2" '{print $col}' "$1" | sed 's/^never$/999999/' | sort -g | awk '{v[NR]=$1} END {m=v[int((NR+1)/2)]; print (m == 999999 ? "never" : m)}'; }
ka_t=$(median "$work/keepalived.results" 1); ka_c=$(median "$work/keepalived.results" 2); ka_k=$(median "$work/keepalived.results" 3)
l_t=$(median "$work/lvsd.results" 1); l_c=$(median "$work/lvsd.results" 2); l_k=$(median "$work/lvsd.results" 3)
printf '%-6s %-11s %14s %18s\n' median keepalived "$ka_t" "$ka_c"
printf '%-6s %-11s %14s %18s\n' median lvsd "$l_t" "$l_c"
ratio() { if [ "$1" = never ] || [ "$2" = never ] || [ "$(echo "$2 == 0" | bc)" = 1 ]; then echo n/a; else echo "scale=2; $1 / $2" | bc; fi; }
echo "ratio lvsd/keepalived (medians of $rounds rounds): time to table $(ratio "$l_t" "$ka_t"), cpu $(ratio "$l_c" "$ka_c")  (goal: both <= 1)"
# keepalived falls behind its schedule under load and then makes fewer checks in the window; CPU per check shows
# what each check costs (informational; the goal is on total CPU).
echo "cpu per 1,000 connects (median): keepalived ${ka_k}s, lvsd ${l_k}s, ratio $(ratio "$l_k" "$ka_k")"
