#!/usr/bin/env bash
# VRRP failover time and CPU, keepalived against lvsd, side by side in one VM run (network namespaces on a bridge):
#
#  (a) takeover: a pair (master priority 200, backup priority 100, one VIP), the master's switch port taken down
#      (its link is lost: no priority-0 advert, nothing more from it); the time until the kernel adds the VIP on
#      the backup, measured from the link loss and from the last advert the backup heard, for VRRPv2 at
#      advert_int 1 and VRRPv3 at advert_int 0.1, BENCH_ROUNDS rounds each (5 by default; the master takes the
#      VIP back between rounds). Printed with the RFC master-down interval (3 * advert_int + skew; skew =
#      (256 - priority) / 256 s for v2, (256 - priority) * advert_int / 256 for v3, priority = the backup's),
#      which counts from the last advert: the link loss comes somewhere in the interval after it, so link loss to
#      VIP is the master-down interval minus up to one advert_int, and last advert to VIP is the master-down
#      interval plus the daemon's own delay (the difference printed).
#  (b) CPU: BENCH_INSTANCES VRRP instances (100 by default: VRIDs 1-100, one VIP each) at advert_int 0.1
#      (BENCH_ADVERT_INT; v3) in one daemon as MASTER, with a BACKUP peer (the same daemon); utime+stime of each
#      daemon's processes (/proc/PID/stat, children included) over BENCH_SECONDS (20 by default) once the master
#      holds every VIP. The VIPs should stay put during the window: an address monitor on the backup counts the
#      ones it takes (each is an advert from the master that came later than the 0.36 s master-down interval:
#      under qemu's emulation that happens, and the transitions cost both daemons CPU).
#
# Then the ratios lvsd/keepalived of the medians and of the CPU times (goals: <= 1).
#
#   bench/vrrp-bench.sh                               # keepalived only (says so): no lvsd given
#   BENCH_LVSD=/path/to/lvsd bench/vrrp-bench.sh      # keepalived and this lvsd binary (no build here)
#   BENCH_ROUNDS=5 BENCH_SECONDS=20 BENCH_INSTANCES=100 BENCH_ADVERT_INT=0.1 bench/vrrp-bench.sh   (the defaults)
#   BENCH_LOGS=DIR bench/vrrp-bench.sh                # also keep the daemons' logs in DIR (under the project)
#
# The daemons run as (NODE = a or b, each in its own namespace, all files under a fresh /tmp directory):
#   keepalived -n -l -G -f CONF -p NODE.pid -r NODE-vrrp.pid -c NODE-checkers.pid
#   lvsd       -n -l -G -f CONF -p NODE.pid --control-socket NODE.sock
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
rounds=${BENCH_ROUNDS:-5}
seconds=${BENCH_SECONDS:-20}
instances=${BENCH_INSTANCES:-100}
cpu_advert=${BENCH_ADVERT_INT:-0.1}

if [ "${LVS_IN_VM:-}" != 1 ]; then
    bash scripts/setup.sh >/dev/null
    if [ -n "${BENCH_LVSD:-}" ]; then
        [ -x "$BENCH_LVSD" ] || { echo "bench: BENCH_LVSD=$BENCH_LVSD is not an executable" >&2; exit 2; }
        BENCH_LVSD=$(cd "$(dirname "$BENCH_LVSD")" && pwd)/$(basename "$BENCH_LVSD")
        # The VM sees the host's files at their paths, except under /tmp, /run and /var/tmp (its own tmpfs).
        case "$BENCH_LVSD" in /tmp/*|/run/*|/var/tmp/*) echo "bench: BENCH_LVSD must not be under /tmp, /run or /var/tmp (the VM has its own)" >&2; exit 2 ;; esac
    fi
    exec bash scripts/vm.sh --timeout 1800 -- env BENCH_LVSD="${BENCH_LVSD:-}" BENCH_ROUNDS="$rounds" \
        BENCH_SECONDS="$seconds" BENCH_INSTANCES="$instances" BENCH_ADVERT_INT="$cpu_advert" BENCH_LOGS="${BENCH_LOGS:-}" bash bench/vrrp-bench.sh
fi

for module in veth bridge; do modprobe "$module" 2>/dev/null || true; done
work=$(mktemp -d /tmp/vrrp-bench.XXXXXX)
. bench/syslog-sink.sh
NS_SW=vrrpb-sw NS_A=vrrpb-a NS_B=vrrpb-b
A_IP=10.60.0.1 B_IP=10.60.0.2 VIP=10.60.0.100
DAEMON_PIDS=""
MONITOR_PID=""

cleanup() {
    local pid
    for pid in $DAEMON_PIDS $MONITOR_PID; do kill -KILL "$pid" 2>/dev/null || true; done
    for ns in $NS_A $NS_B $NS_SW; do ip netns delete "$ns" 2>/dev/null || true; done
    stop_syslog_sink
    rm -rf "$work"
}
trap cleanup EXIT
start_syslog_sink

# A fresh pair for every run: a bridge in its own namespace, a and b on it (eth0 in each).
make_pair() {
    local ns
    for ns in $NS_A $NS_B $NS_SW; do ip netns delete "$ns" 2>/dev/null || true; done
    for ns in $NS_SW $NS_A $NS_B; do ip netns add "$ns"; done
    ip -n $NS_SW -b - <<EOF
link set lo up
link add br0 type bridge mcast_snooping 0
link set br0 up
link add sw-a type veth peer name eth0 netns $NS_A
link add sw-b type veth peer name eth0 netns $NS_B
link set sw-a master br0 up
link set sw-b master br0 up
EOF
    ip -n $NS_A -b - <<EOF
link set lo up
addr add $A_IP/24 dev eth0
link set eth0 up
EOF
    ip -n $NS_B -b - <<EOF
link set lo up
addr add $B_IP/24 dev eth0
link set eth0 up
EOF
}

# write_config FILE NAME PRIORITY VERSION ADVERT_INT COUNT: COUNT instances (VRIDs 1..COUNT); one instance has the
# VIP 10.60.0.100, more have 10.61.x.y each.
write_config() {
    local file=$1 name=$2 priority=$3 version=$4 advert=$5 count=$6 i vip
    {
        echo "global_defs {"
        echo "    router_id vrrpb_$name"
        echo "}"
        for i in $(seq 1 "$count"); do
            if [ "$count" = 1 ]; then vip=$VIP; else vip=10.61.$((i / 250)).$((i % 250 + 1)); fi
            echo "vrrp_instance VI_$i {"
            echo "    state BACKUP"
            echo "    interface eth0"
            echo "    virtual_router_id $i"
            echo "    version $version"
            echo "    priority $priority"
            echo "    advert_int $advert"
            echo "    virtual_ipaddress {"
            echo "        $vip/32 dev eth0"
            echo "    }"
            echo "}"
        done
    } > "$file"
}

# start_daemon DAEMON NODE CONF: runs it in NODE's namespace (a or b) in the background; sets STARTED.
start_daemon() {
    local daemon=$1 node=$2 conf=$3 ns
    [ "$node" = a ] && ns=$NS_A || ns=$NS_B
    local -a command
    case "$daemon" in
        keepalived) command=("$work/bin/keepalived" -n -l -G -f "$conf" -p "$work/$node.pid" -r "$work/$node-vrrp.pid" -c "$work/$node-checkers.pid") ;;
        lvsd) command=("$work/bin/lvsd" -n -l -G -f "$conf" -p "$work/$node.pid" --control-socket "$work/$node.sock") ;;
    esac
    echo "${command[*]}" > "$work/$daemon-$node.cmd"
    ip netns exec "$ns" "${command[@]}" >> "$work/$daemon-$node.log" 2>&1 &
    STARTED=$!
    DAEMON_PIDS+=" $STARTED"
}

stop_daemons() {
    local pid
    for pid in $DAEMON_PIDS; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in $DAEMON_PIDS; do
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    DAEMON_PIDS=""
}

# The number of the bench's VIPs on NODE's eth0.
vips_on() {
    local ns
    [ "$1" = a ] && ns=$NS_A || ns=$NS_B
    ip -n "$ns" -o -4 addr show dev eth0 | grep -c ' inet 10\.6[01]\.[0-9]*\.[0-9]*/32 ' || true
}

# wait_vips NODE COUNT LIMIT: until NODE holds exactly COUNT VIPs; fails after LIMIT seconds.
wait_vips() {
    local node=$1 count=$2 deadline=$((SECONDS + $3))
    until [ "$(vips_on "$node")" = "$count" ]; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "bench: $node holds $(vips_on "$node") VIPs after $3 s, expected $count" >&2
            return 1
        fi
        sleep 0.2
    done
}

# CPU ticks (utime+stime) of a process and its children.
tree_ticks() {
    local root=$1 total=0 pid
    for pid in $root $(ps -o pid= --ppid "$root" 2>/dev/null || true); do
        [ -r "/proc/$pid/stat" ] && total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
    done
    echo "$total"
}

# The RFC master-down interval for the backup (priority 100): 3 * advert + skew.
master_down() {
    local version=$1 advert=$2
    if [ "$version" = 2 ]; then echo "scale=4; 3 * $advert + (256 - 100) / 256" | bc
    else echo "scale=4; 3 * $advert + (256 - 100) * $advert / 256" | bc; fi
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "n/a"; else print v[int((NR+1)/2)]}'; }

# (a) for one daemon and one protocol version: prints the rounds, appends the medians to $work/takeover.
run_takeover() {
    local daemon=$1 version=$2 advert=$3
    make_pair
    write_config "$work/a.conf" a 200 "$version" "$advert" 1
    write_config "$work/b.conf" b 100 "$version" "$advert" 1
    # The master first: it holds the VIP before the backup starts, so the backup never takes it at start-up.
    start_daemon "$daemon" a "$work/a.conf"
    wait_vips a 1 30 || { stop_daemons; echo "$daemon v$version never never" >> "$work/takeover"; return; }
    start_daemon "$daemon" b "$work/b.conf"
    sleep 2
    local out
    out=$(python3 bench/vrrp-takeover.py --switch $NS_SW --port sw-a --master $NS_A --master-ip $A_IP \
        --backup $NS_B --vip $VIP --rounds "$rounds" --advert-int "$advert" --timeout 30 2>&1) || true
    stop_daemons
    awk -v d="$daemon" -v v="v$version" -v a="$advert" '/^round / {
            printf "%-11s %-3s %-7s %-6s %17s %20s %16s\n", d, v, a, $2, $4, $6, $8 }
        /^error/ || /Traceback/ || /Error/ { print "    " $0 }' <<<"$out"
    local loss last
    loss=$(awk '/^round / && $4 != "never" {print $4}' <<<"$out" | median)
    last=$(awk '/^round / && $6 != "never" {print $6}' <<<"$out" | median)
    local never
    never=$(awk '/^round / && $4 == "never"' <<<"$out" | wc -l)
    [ "$never" = 0 ] || echo "    $never of $rounds rounds: the backup never took the VIP"
    echo "$daemon v$version $loss $last" >> "$work/takeover"
}

# (b) for one daemon: prints and appends "daemon master-cpu backup-cpu flaps" to $work/cpu.
run_cpu() {
    local daemon=$1
    make_pair
    write_config "$work/a.conf" a 200 3 "$cpu_advert" "$instances"
    write_config "$work/b.conf" b 100 3 "$cpu_advert" "$instances"
    start_daemon "$daemon" a "$work/a.conf"
    local master=$STARTED
    if ! wait_vips a "$instances" 120; then stop_daemons; echo "$daemon n/a n/a n/a" >> "$work/cpu"; return; fi
    start_daemon "$daemon" b "$work/b.conf"
    local backup=$STARTED
    sleep 5
    local on_a on_b
    on_a=$(vips_on a); on_b=$(vips_on b)
    if [ "$on_b" != 0 ] || [ "$on_a" != "$instances" ]; then
        echo "    $daemon: at the start of the window a held $on_a VIPs and b $on_b (expected $instances and 0)"
    fi
    ip -n $NS_B monitor address dev eth0 > "$work/$daemon-b.monitor" 2>&1 &
    MONITOR_PID=$!
    local m0 b0 m1 b1 hz
    hz=$(getconf CLK_TCK)
    m0=$(tree_ticks "$master"); b0=$(tree_ticks "$backup")
    sleep "$seconds"
    m1=$(tree_ticks "$master"); b1=$(tree_ticks "$backup")
    kill -TERM "$MONITOR_PID" 2>/dev/null || true
    wait "$MONITOR_PID" 2>/dev/null || true
    MONITOR_PID=""
    local flaps held_a held_b
    flaps=$(grep -v Deleted "$work/$daemon-b.monitor" | grep -c ' inet 10\.61\.' || true)
    held_a=$(vips_on a); held_b=$(vips_on b)
    stop_daemons
    local mc bc
    mc=$(echo "scale=2; ($m1 - $m0) / $hz" | bc); bc=$(echo "scale=2; ($b1 - $b0) / $hz" | bc)
    local mp bp
    mp=$(echo "$mc * 100 / $seconds" | bc); bp=$(echo "$bc * 100 / $seconds" | bc)
    printf '%-11s %14s %5s%% %14s %5s%% %18s %14s\n' "$daemon" "$mc" "$mp" "$bc" "$bp" "$flaps" "$held_a/$held_b"
    if [ "$mp" -ge 90 ] || [ "$bp" -ge 90 ]; then
        echo "    $daemon: at or above 90% of one CPU: probably saturated in this VM (adverts late, hence the backup's takeovers, which cost CPU of their own): compare with care"
    fi
    echo "$daemon $mc $bc $flaps" >> "$work/cpu"
}

# Both daemons run from a copy on the VM's tmpfs (as an installed binary would), each exec'd once before timing.
mkdir -p "$work/bin"
daemons=(keepalived)
cp "$(command -v keepalived)" "$work/bin/keepalived"
if [ -n "${BENCH_LVSD:-}" ]; then
    cp "$BENCH_LVSD" "$work/bin/lvsd"
    daemons+=(lvsd)
fi
for bin in "$work"/bin/*; do
    cat "$bin" $(ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3}') > /dev/null 2>&1 || true
    "$bin" --version >/dev/null 2>&1 || true
done

echo "bench: VRRP, kernel $(uname -r), $(nproc) vCPUs; daemons: ${daemons[*]}$([ -n "${BENCH_LVSD:-}" ] || echo " (BENCH_LVSD unset: keepalived only, no ratios)")"
echo "$(keepalived --version 2>&1 | head -1)$([ -z "${BENCH_LVSD:-}" ] || echo "; $("$work/bin/lvsd" --version 2>&1 | head -1)")"
echo
echo "(a) takeover after the master's link loss (its switch port down); backup priority 100, master 200; $rounds rounds"
printf '%-11s %-3s %-7s %-6s %17s %20s %16s\n' daemon ver advert round "link-loss->VIP(s)" "last-advert->VIP(s)" "preempt-back(s)"
: > "$work/takeover"
for daemon in "${daemons[@]}"; do
    run_takeover "$daemon" 2 1
    run_takeover "$daemon" 3 0.1
done
echo
printf '%-11s %-3s %-7s %13s %13s %16s %16s\n' median ver advert "link-loss->VIP" "last-adv->VIP" "RFC-master-down" "last-adv-minus-RFC"
for daemon in "${daemons[@]}"; do
    for va in "2 1" "3 0.1"; do
        read -r version advert <<<"$va"
        read -r _ _ loss last <<<"$(grep "^$daemon v$version " "$work/takeover")"
        rfc=$(master_down "$version" "$advert")
        diff=n/a
        [ "$last" = n/a ] || diff=$(printf '%+.3f' "$(echo "$last - $rfc" | bc)")
        printf '%-11s %-3s %-7s %13s %13s %16.4f %16s\n' "$daemon" "v$version" "$advert" "$loss" "$last" "$rfc" "$diff"
    done
done

echo
echo "(b) CPU: $instances VRRPv3 instances at advert_int $cpu_advert ($(echo "$instances / $cpu_advert" | bc) adverts/s), master priority 200 + backup 100 (same daemon), ${seconds}s"
printf '%-11s %14s %6s %14s %6s %18s %14s\n' daemon "master-cpu(s)" "%cpu" "backup-cpu(s)" "%cpu" "backup-takeovers" "VIPs-a/b-end"
: > "$work/cpu"
for daemon in "${daemons[@]}"; do run_cpu "$daemon"; done

if [ -n "${BENCH_LOGS:-}" ]; then mkdir -p "$BENCH_LOGS" && cp "$work"/*.log "$work"/*.cmd "$BENCH_LOGS"/ 2>/dev/null || true; fi

echo
ratio() { if [ "$1" = n/a ] || [ "$2" = n/a ] || [ -z "$1" ] || [ -z "$2" ] || [ "$(echo "$2 == 0" | bc)" = 1 ]; then echo n/a; else echo "scale=2; $1 / $2" | bc; fi; }
if [ -n "${BENCH_LVSD:-}" ]; then
    for version in 2 3; do
        read -r _ _ kl kt <<<"$(grep "^keepalived v$version " "$work/takeover")"
        read -r _ _ ll lt <<<"$(grep "^lvsd v$version " "$work/takeover")"
        echo "ratio lvsd/keepalived, VRRPv$version takeover (medians): last advert to VIP $(ratio "$lt" "$kt") (goal: <= 1), link loss to VIP $(ratio "$ll" "$kl") (varies with where in the advert interval the link went)"
    done
    read -r _ km kb _ <<<"$(grep '^keepalived ' "$work/cpu")"
    read -r _ lm lb _ <<<"$(grep '^lvsd ' "$work/cpu")"
    echo "ratio lvsd/keepalived, CPU of $instances instances at $cpu_advert s: master $(ratio "$lm" "$km"), backup $(ratio "$lb" "$kb")  (goal: <= 1)"
else
    echo "ratios lvsd/keepalived: n/a (keepalived only; set BENCH_LVSD=/path/to/lvsd to compare)"
fi
