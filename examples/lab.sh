#!/usr/bin/env bash
# The end-to-end lab: an LVS director, two real servers and a client in network namespaces on one machine, for
# each forwarding method (DR, NAT, TUN), set up with the example scripts themselves and kept healthy by the
# director daemon with the example keepalived.conf.
#
#   examples/lab.sh [dr|nat|tun|ha|all]...     (default: all)
#
# For each mode: realserver.sh start on both real servers, a web server on each answering with its own name,
# director.sh start (twice: the second run must change nothing), the daemon started in the foreground, then
# 20 requests to the VIP (both real servers must answer), one web server stopped (the daemon must set its
# weight to 0 and every request must reach the survivor), restarted (back in rotation: both answer again), and
# the teardown with the scripts' stop commands. Every check reads the kernel table (the CLI's -Ln listing, checked
# against /proc/net/ip_vs) or what the client received. Exits 0 only if every step of every mode held.
#
# The ha mode runs examples/ha: a DR director pair (VRRP, the IPVS sync daemon) in front of two real servers and a
# nginx pair whose address follows a vrrp_script; it asserts the election, traffic through the VIP, a long-lived
# TCP connection that survives the master's death (kill -9 of its daemon, its link down) and its return
# (preemption), and the service check moving the address (see run_ha below and examples/ha/README.md).
#
# Environment:
#   LAB_DIRECTOR=lvsd|keepalived   the director daemon (default lvsd, built with swift build)
#   LAB_CTL=lvsctl|ipvsadm         the ipvsadm-compatible CLI given to director.sh and used for the checks
#                                  (default lvsctl, built with swift build)
#   LAB_BIN=DIR                    where lvsd and lvsctl are (default: swift build --show-bin-path)
#   LAB_VM=auto|yes|no             run inside scripts/vm.sh: auto = only when this kernel has no IPVS or we are not
#                                  root (default auto)
#   LAB_LOGDIR=DIR                 keep the daemon, web server and client logs there (default: a new /tmp dir)
#
# The lab installs its prerequisites (scripts/setup.sh) and builds lvsd/lvsctl when it needs them. Everything it
# creates lives in namespaces named lab-<mode>-*, which it deletes on exit, also on failure or interruption. The
# addresses (10.10.0.0/24, 10.20.1.0/24, 10.20.2.0/24, 10.30.1.0/24, 10.30.2.0/24, 10.40.0.0/24) exist only inside
# them.
set -euo pipefail
shopt -s inherit_errexit

EXAMPLES=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$EXAMPLES/.." && pwd)
LAB_DIRECTOR=${LAB_DIRECTOR:-lvsd}
LAB_CTL=${LAB_CTL:-lvsctl}
LAB_BIN=${LAB_BIN:-}
LAB_VM=${LAB_VM:-auto}
LAB_LOGDIR=${LAB_LOGDIR:-}
LAB_ROUTER=${LAB_ROUTER:-bird}

REQUESTS=20                # requests per round
WAIT_SERVER=20             # seconds for a web server to start answering
WAIT_DAEMON=25             # seconds for the daemon to react to a real server going down or coming back
WAIT_STOP=10               # seconds for a process to exit after SIGTERM

usage() {
    echo "usage: examples/lab.sh [dr|nat|tun|ha|ecmp|all]...   (LAB_DIRECTOR=lvsd|keepalived, LAB_CTL=lvsctl|ipvsadm, LAB_ROUTER=bird|frr)" >&2
    exit 2
}

say() { echo "[lab] $*"; }

die() { echo "[lab] error: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------------------
# Preparation on the host: prerequisites, build, and the choice between running here and running in the VM.

install_prerequisites() {
    say "prerequisites: scripts/setup.sh"
    "$PROJECT/scripts/setup.sh" || die "scripts/setup.sh failed: the lab's prerequisites are not installed"
}

needs_swift_build() { [ "$LAB_DIRECTOR" = lvsd ] || [ "$LAB_CTL" = lvsctl ]; }

build_tools() {
    local log
    log=$(mktemp /tmp/lvs-lab-build.XXXXXX)
    say "building lvsd and lvsctl: swift build (log: $log)"
    if ! (cd "$PROJECT" && swift build) >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "swift build failed (full log: $log)"
    fi
    LAB_BIN=$(cd "$PROJECT" && swift build --show-bin-path)
    rm -f "$log"
}

kernel_has_ipvs() {
    [ -e /proc/net/ip_vs ] && return 0
    [ "$(id -u)" -eq 0 ] && modprobe ip_vs 2>/dev/null && [ -e /proc/net/ip_vs ]
}

run_in_vm() {
    say "this kernel has no IPVS (or we are not root): running the lab inside the test VM (scripts/vm.sh)"
    local -a passed=(LAB_DIRECTOR="$LAB_DIRECTOR" LAB_CTL="$LAB_CTL" LAB_ROUTER="$LAB_ROUTER" LAB_VM=no)
    [ -n "$LAB_BIN" ] && passed+=(LAB_BIN="$LAB_BIN")
    [ -n "$LAB_LOGDIR" ] && passed+=(LAB_LOGDIR="$LAB_LOGDIR")
    local rc=0
    "$PROJECT/scripts/vm.sh" --timeout 900 -- env "${passed[@]}" bash examples/lab.sh "$@" || rc=$?
    exit "$rc"
}

# ---------------------------------------------------------------------------------------------------------------
# Tools under test.

resolve_tools() {
    case "$LAB_DIRECTOR" in
        lvsd) DAEMON=$LAB_BIN/lvsd ;;
        keepalived) DAEMON=$(command -v keepalived) || die "keepalived not installed (scripts/setup.sh installs it)" ;;
        *) die "LAB_DIRECTOR must be lvsd or keepalived, not '$LAB_DIRECTOR'" ;;
    esac
    case "$LAB_CTL" in
        lvsctl) CTL=$LAB_BIN/lvsctl ;;
        ipvsadm) CTL=$(command -v ipvsadm) || die "ipvsadm not installed (scripts/setup.sh installs it)" ;;
        *) die "LAB_CTL must be lvsctl or ipvsadm, not '$LAB_CTL'" ;;
    esac
    [ -x "$DAEMON" ] || die "director daemon $DAEMON not found (LAB_BIN=$LAB_BIN)"
    [ -x "$CTL" ] || die "CLI $CTL not found (LAB_BIN=$LAB_BIN)"
    local tool
    for tool in ip python3 curl awk sort nginx; do
        command -v "$tool" >/dev/null || die "$tool not installed (scripts/setup.sh installs it)"
    done
}

# The daemon's command line: foreground, log to the console (captured in a file), detailed logging. Every file it
# writes is under RUNDIR, so that daemons in several namespaces (the ha mode runs four) do not meet: keepalived
# has a pid file per process (-p, -c, -r); lvsd is one process, with one pid file and a control socket.
# keepalived runs its checkers only (-C), except in the ha mode, where it runs VRRP too.
daemon_command() {
    local config=$1 rundir=$2
    case "$LAB_DIRECTOR" in
        lvsd) echo "$DAEMON" -n -l -D -f "$config" -p "$rundir/lvsd.pid" --control-socket "$rundir/lvsd.sock" ;;
        keepalived)
            local only_checkers=-C
            [ "$MODE" != ha ] || only_checkers=""
            echo "$DAEMON" -n -l -G -D $only_checkers -f "$config" -p "$rundir/keepalived.pid" \
                -c "$rundir/checkers.pid" -r "$rundir/vrrp.pid" ;;
    esac
}

# ---------------------------------------------------------------------------------------------------------------
# One mode's run. Everything below runs in a subshell per mode, with its own EXIT trap.

MODE=""
RUNDIR=""
MODE_STARTED=$SECONDS
STEP=""
LAB_MODES=()
DAEMON_PID=""
declare -A WEB_PID=()

log() { echo "[$MODE] $*"; }

# Step lines carry the seconds since the mode started.
step() { STEP=$1; echo "[$MODE +$((SECONDS - MODE_STARTED))s] $1"; }


fail() {
    echo "[$MODE] FAILED at step '$STEP': $*" >&2
    if [ -s "$MODE_LOGS/director.log" ]; then
        echo "[$MODE] last lines of the director daemon's log ($MODE_LOGS/director.log):" >&2
        tail -n 15 "$MODE_LOGS/director.log" | sed 's/^/    /' >&2
    fi
    local node
    for node in ${HA_NODES:-}; do
        [ -s "$MODE_LOGS/$node.log" ] || continue
        echo "[$MODE] last lines of $node's $LAB_DIRECTOR log ($MODE_LOGS/$node.log):" >&2
        tail -n 8 "$MODE_LOGS/$node.log" | sed 's/^/    /' >&2
    done
    echo "$STEP: $*" > "$MODE_LOGS/failed"
    exit 1
}

namespace() { echo "lab-$MODE-$1"; }

# Runs a command in one of the mode's namespaces: in_ns NODE COMMAND...
in_ns() { local node=$1; shift; ip netns exec "$(namespace "$node")" "$@"; }

mode_nodes() {
    case "$MODE" in
        tun) echo switch router client director rs1 rs2 ;;
        ha) echo switch client dir1 dir2 rs1 rs2 svc1 svc2 ;;
        ecmp) echo switch client router dir1 dir2 dir3 rs1 rs2 rs3 ;;
        *) echo switch client director rs1 rs2 ;;
    esac
}

# The topology is collected as ip batch commands (one ip process per namespace instead of one per command: each
# process start costs under qemu's emulation) and applied by create_topology.
declare -A NODE_BATCH=()
SWITCH_BATCH=""

add_bridge() {
    SWITCH_BATCH+="link add $1 type bridge"$'\n'"link set $1 up"$'\n'
}

# Connects NODE's interface IFNAME to bridge BRIDGE in the switch namespace, with address ADDR/LEN.
attach() {
    local node=$1 ifname=$2 bridge=$3 address=$4
    local port="${bridge#br-}-$node"
    SWITCH_BATCH+="link add $port type veth peer name $ifname netns $(namespace "$node")"$'\n'
    SWITCH_BATCH+="link set $port master $bridge up"$'\n'
    node_command "$node" "addr add $address dev $ifname"
    node_command "$node" "link set $ifname up"
}

# Adds an ip command (without "ip") to run in NODE's namespace.
node_command() { NODE_BATCH[$1]+="$2"$'\n'; }

create_topology() {
    local node ns
    for node in $(mode_nodes); do
        ns=$(namespace "$node")
        ip netns add "$ns" || fail "cannot create namespace $ns"
        NODE_BATCH[$node]="link set lo up"$'\n'"${NODE_BATCH[$node]:-}"
    done
    ip -n "$(namespace switch)" -b - <<<"$SWITCH_BATCH" \
        || fail "cannot create the bridges and veth pairs (modprobe bridge veth?): ip -b: $SWITCH_BATCH"
    for node in $(mode_nodes); do
        ip -n "$(namespace "$node")" -b - <<<"${NODE_BATCH[$node]}" \
            || fail "cannot configure $node's interfaces: ip -b: ${NODE_BATCH[$node]}"
    done
}

# Per-mode addresses and script settings.
configure_mode() {
    case "$MODE" in
        dr)
            VIP=10.10.0.100; RS1=10.10.0.11; RS2=10.10.0.12; FORWARD=Route
            DIRECTOR_ENV=(VIP="$VIP" IFACE=eth0 RIPS="$RS1 $RS2")
            RS_ENV=(VIP="$VIP" IFACE=eth0)
            ;;
        nat)
            VIP=10.20.1.100; RS1=10.20.2.11; RS2=10.20.2.12; FORWARD=Masq
            DIRECTOR_ENV=(VIP="$VIP" IFACE=eth0 RIPS="$RS1 $RS2")
            RS_ENV=(GATEWAY=10.20.2.1)
            ;;
        tun)
            VIP=10.30.1.100; RS1=10.30.2.11; RS2=10.30.2.12; FORWARD=Tunnel
            DIRECTOR_ENV=(VIP="$VIP" IFACE=eth0 RIPS="$RS1 $RS2")
            RS_ENV=(VIP="$VIP" IFACE=eth0)
            ;;
        ha)
            # The DR pair's VIP and real servers (examples/ha/dr-director*.conf) and the web pair's address
            # (examples/ha/web-node*.conf).
            VIP=10.40.0.100; RS1=10.40.0.11; RS2=10.40.0.12; FORWARD=Route; WEB_VIP=10.40.0.200
            DIRECTOR_ENV=()
            RS_ENV=(VIP="$VIP" IFACE=eth0)
            ;;
        ecmp)
            # examples/ecmp/lab-ecmp.sh has its own addresses (ECMP_ADDR); these only keep the shared code whole.
            VIP=10.80.9.10; RS1=10.80.0.21; RS2=10.80.0.22; FORWARD=Route
            DIRECTOR_ENV=()
            RS_ENV=(VIP="$VIP" IFACE=eth0)
            ;;
    esac
    DIRECTOR_ENV+=(LVSCTL="$CTL")
    declare -gA RIP=([rs1]=$RS1 [rs2]=$RS2)
}

#   client 10.10.0.10 --+
#   director 10.10.0.2 -+-- br-lan (one segment) -- rs1 10.10.0.11, rs2 10.10.0.12      VIP 10.10.0.100
build_topology_dr() {
    add_bridge br-lan
    attach client eth0 br-lan 10.10.0.10/24
    attach director eth0 br-lan 10.10.0.2/24
    attach rs1 eth0 br-lan 10.10.0.11/24
    attach rs2 eth0 br-lan 10.10.0.12/24
}

#   client 10.20.1.10 -- br-pub -- eth0 10.20.1.2 [director] eth1 10.20.2.1 -- br-priv -- rs1 .11, rs2 .12
build_topology_nat() {
    add_bridge br-pub
    add_bridge br-priv
    attach client eth0 br-pub 10.20.1.10/24
    attach director eth0 br-pub 10.20.1.2/24
    attach director eth1 br-priv 10.20.2.1/24
    attach rs1 eth0 br-priv 10.20.2.11/24
    attach rs2 eth0 br-priv 10.20.2.12/24
}

#   client 10.30.1.10, director 10.30.1.2 -- br-pub -- eth0 10.30.1.1 [router] eth1 10.30.2.1 -- br-priv --
#   rs1 10.30.2.11, rs2 10.30.2.12: the real servers are on another network, reached through the router.
build_topology_tun() {
    add_bridge br-pub
    add_bridge br-priv
    attach client eth0 br-pub 10.30.1.10/24
    attach director eth0 br-pub 10.30.1.2/24
    attach router eth0 br-pub 10.30.1.1/24
    attach router eth1 br-priv 10.30.2.1/24
    attach rs1 eth0 br-priv 10.30.2.11/24
    attach rs2 eth0 br-priv 10.30.2.12/24
    node_command director "route add 10.30.2.0/24 via 10.30.1.1"
    node_command rs1 "route add default via 10.30.2.1"
    node_command rs2 "route add default via 10.30.2.1"
}

# After create_topology: the router forwards; the real servers' replies come from the VIP, which the router reaches
# by its other interface, so it must not filter by reverse path.
configure_router_tun() {
    # shellcheck disable=SC2016 # expanded by the inner shell
    in_ns router sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward
        for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > "$f"; done'
}

# Kills whatever still runs in the mode's namespaces: only the lab's own processes can be there.
kill_namespace_processes() {
    local node ns pid
    for node in $(mode_nodes); do
        ns=$(namespace "$node")
        [ -e "/run/netns/$ns" ] || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    done
}

remove_namespaces() {
    local node ns
    kill_namespace_processes
    for node in $(mode_nodes); do
        ns=$(namespace "$node")
        [ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
    done
    return 0
}

# Stops process PID with SIGTERM, then SIGKILL after WAIT_STOP seconds; returns 1 if it needed SIGKILL.
stop_process() {
    local pid=$1 deadline=$((SECONDS + WAIT_STOP))
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            return 1
        fi
        sleep 0.2
    done
    wait "$pid" 2>/dev/null || true
}

cleanup_mode() {
    local rc=$? name
    trap - EXIT
    set +e
    [ -n "$DAEMON_PID" ] && stop_process "$DAEMON_PID"
    for name in "${!WEB_PID[@]}"; do stop_process "${WEB_PID[$name]}"; done
    [ "$MODE" != ha ] || cleanup_ha
    [ "$MODE" != ecmp ] || cleanup_ecmp
    if [ -e "/run/netns/$(namespace director)" ]; then
        in_ns director env "${DIRECTOR_ENV[@]}" "$EXAMPLES/$MODE/director.sh" stop >/dev/null 2>&1
        for name in rs1 rs2; do
            in_ns "$name" env "${RS_ENV[@]}" "$EXAMPLES/$MODE/realserver.sh" stop >/dev/null 2>&1
        done
    fi
    # The namespaces themselves are deleted when the whole lab ends (remove_all_namespaces): the kernel tears a
    # namespace down in the background, and under emulation that stalls the next mode's set-up for many seconds.
    kill_namespace_processes
    [ -n "$RUNDIR" ] && rm -rf "$RUNDIR"
    exit "$rc"
}

start_web_server() {
    local name=$1
    mkdir -p "$MODE_LOGS/www-$name"
    echo "$name" > "$MODE_LOGS/www-$name/index.html"
    # ip netns exec, not in_ns: $! must be the server itself (ip execs it), not a subshell around a function.
    ip netns exec "$(namespace "$name")" python3 -m http.server 80 --bind 0.0.0.0 --directory "$MODE_LOGS/www-$name" \
        >>"$MODE_LOGS/web-$name.log" 2>&1 &
    WEB_PID[$name]=$!
}

stop_web_server() {
    local name=$1
    stop_process "${WEB_PID[$name]}" || fail "the web server on $name needed SIGKILL"
    unset "WEB_PID[$name]"
}

# Waits until NAME's web server answers on its own address with its name.
wait_web_server() {
    local name=$1 deadline=$((SECONDS + WAIT_SERVER)) body
    while :; do
        body=$(in_ns "$name" curl -s --noproxy '*' -m 2 "http://${RIP[$name]}/" 2>/dev/null || true)
        [ "$body" = "$name" ] && return 0
        kill -0 "${WEB_PID[$name]}" 2>/dev/null || fail "the web server on $name exited (log: $MODE_LOGS/web-$name.log)"
        [ "$SECONDS" -ge "$deadline" ] && fail "the web server on $name did not answer within ${WAIT_SERVER}s"
        sleep 0.3
    done
}

# The CLI's listing of the virtual service.
listing() { in_ns director "$CTL" -Ln -t "$VIP:80"; }

# The real servers of the virtual service as "ADDRESS:PORT FORWARD WEIGHT" lines, sorted, from the CLI's -Ln.
listed_destinations() {
    listing | awk '$1 == "->" && $2 != "RemoteAddress:Port" { print $2, $3, $4 }' | sort
}

# The same, from the kernel's /proc/net/ip_vs (hexadecimal addresses and ports).
kernel_destinations() {
    local want service="" proto addr forward weight rest h
    # shellcheck disable=SC2086 # the VIP's four octets as four arguments
    want=$(printf '%02X%02X%02X%02X:0050' ${VIP//./ })
    in_ns director cat /proc/net/ip_vs | while read -r proto addr forward weight rest; do
        case "$proto" in
            TCP|UDP|SCTP|FWM) service="$proto $addr" ;;
            "->")
                [ "$service" = "TCP $want" ] || continue
                h=${addr%:*}
                printf '%d.%d.%d.%d:%d %s %s\n' "0x${h:0:2}" "0x${h:2:2}" "0x${h:4:2}" "0x${h:6:2}" \
                    "0x${addr#*:}" "$forward" "$weight"
                ;;
        esac
    done | sort
}

kernel_has_service() {
    local hex
    # shellcheck disable=SC2086 # the VIP's four octets as four arguments
    hex=$(printf '%02X%02X%02X%02X:0050' ${VIP//./ })
    in_ns director grep -q "^TCP  $hex " /proc/net/ip_vs
}

# "ADDRESS:PORT FORWARD WEIGHT" lines as one readable phrase.
describe() {
    if [ -z "$1" ]; then echo "no real servers"; return; fi
    awk '{ printf "%s%s %s weight %s", (NR > 1 ? ", " : "[") , $1, $2, $3 } END { print "]" }' <<<"$1"
}

# Fails unless the table (CLI listing and kernel agreeing) has exactly rs1 and rs2 with weights W1 and W2.
check_table() {
    local w1=$1 w2=$2 listed kernel expected
    expected=$(printf '%s:80 %s %s\n' "$RS1" "$FORWARD" "$w1" "$RS2" "$FORWARD" "$w2" | sort)
    listed=$(listed_destinations) || fail "$LAB_CTL -Ln -t $VIP:80 failed: $(listing 2>&1 | head -n 3)"
    kernel=$(kernel_destinations)
    [ "$kernel" = "$expected" ] || fail "the kernel table (/proc/net/ip_vs) has $(describe "$kernel") for $VIP:80, expected $(describe "$expected")"
    [ "$listed" = "$expected" ] || fail "$LAB_CTL -Ln shows $(describe "$listed") for $VIP:80, expected $(describe "$expected") (the kernel agrees with the expectation); it printed: $(listing 2>&1 | head -n 8)"
}

table_holds() { [ "$(listed_destinations 2>/dev/null)" = "$1" ] && [ "$(kernel_destinations)" = "$1" ]; }

# Waits (bounded) until the daemon has set the weights to W1 and W2; prints the seconds it took.
wait_weights() {
    local w1=$1 w2=$2 start=$SECONDS expected
    expected=$(printf '%s:80 %s %s\n' "$RS1" "$FORWARD" "$w1" "$RS2" "$FORWARD" "$w2" | sort)
    until table_holds "$expected"; do
        check_daemon_running
        if [ $((SECONDS - start)) -ge "$WAIT_DAEMON" ]; then
            # Names what differs (CLI or kernel, which weight); if the table holds just now, so be it.
            STEP="$STEP (waited ${WAIT_DAEMON}s for weights rs1=$w1 rs2=$w2)"
            check_table "$w1" "$w2"
            break
        fi
        sleep 0.5
    done
    WAITED=$((SECONDS - start))
}

# Fails if the table leaves weights W1 and W2 during the next SECS seconds.
hold_weights() {
    local w1=$1 w2=$2 until=$((SECONDS + $3)) expected
    expected=$(printf '%s:80 %s %s\n' "$RS1" "$FORWARD" "$w1" "$RS2" "$FORWARD" "$w2" | sort)
    while [ "$SECONDS" -lt "$until" ]; do
        check_daemon_running
        table_holds "$expected" || check_table "$w1" "$w2"
        sleep 0.5
    done
}

show_table() { listing | sed 's/^/    /'; }

# The client: REQUESTS HTTP/1.0 requests to the VIP, each on a new connection; one line per request, the body or
# FAILED. One python process with plain sockets rather than one curl per request: process start-up and imports
# dominate under qemu's emulation.
CLIENT_PROGRAM='
import socket, sys
vip, count = sys.argv[1], int(sys.argv[2])
for _ in range(count):
    try:
        with socket.create_connection((vip, 80), timeout=3) as connection:
            connection.sendall(b"GET / HTTP/1.0\r\nHost: " + vip.encode() + b"\r\n\r\n")
            response = b""
            while chunk := connection.recv(4096):
                response += chunk
        head, _, body = response.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.0 200 ") and not head.startswith(b"HTTP/1.1 200 "):
            raise OSError("unexpected response: %r" % head[:40])
        print(body.decode().strip(), flush=True)
    except OSError as error:
        print("FAILED", flush=True)
        print("request failed:", error, file=sys.stderr, flush=True)
'

# Sends REQUESTS requests to the VIP from the client; sets ANSWERS_rs1, ANSWERS_rs2, ANSWERS_failed, ANSWERS_other.
send_requests() {
    local out
    out=$(in_ns client python3 -c "$CLIENT_PROGRAM" "$VIP" "$REQUESTS" 2>>"$MODE_LOGS/client.log")
    ANSWERS_rs1=$(grep -cx rs1 <<<"$out" || true)
    ANSWERS_rs2=$(grep -cx rs2 <<<"$out" || true)
    ANSWERS_failed=$(grep -cx FAILED <<<"$out" || true)
    ANSWERS_other=$((REQUESTS - ANSWERS_rs1 - ANSWERS_rs2 - ANSWERS_failed))
    log "$REQUESTS requests: rs1=$ANSWERS_rs1 rs2=$ANSWERS_rs2 failed=$ANSWERS_failed"
    [ "$ANSWERS_other" -eq 0 ] || fail "$ANSWERS_other answers were neither rs1 nor rs2: $(sort <<<"$out" | uniq -c | tr '\n' ' ')"
}

expect_both_answer() {
    send_requests
    [ "$ANSWERS_failed" -eq 0 ] || fail "$ANSWERS_failed of $REQUESTS requests failed"
    if [ "$ANSWERS_rs1" -eq 0 ] || [ "$ANSWERS_rs2" -eq 0 ]; then fail "not both real servers answered"; fi
}

expect_only() {
    local name=$1 count
    send_requests
    [ "$ANSWERS_failed" -eq 0 ] || fail "$ANSWERS_failed of $REQUESTS requests failed"
    count=ANSWERS_$name
    [ "${!count}" -eq "$REQUESTS" ] || fail "expected all $REQUESTS answers from $name"
}

# Fails, with its exit status and last words, if the daemon is no longer running.
check_daemon_running() {
    [ -n "$DAEMON_PID" ] || return 0
    # A process that exited but is not yet reaped still answers kill -0: look at its state too.
    if kill -0 "$DAEMON_PID" 2>/dev/null && [ "$(ps -o stat= -p "$DAEMON_PID" 2>/dev/null | cut -c1)" != Z ]; then
        return 0
    fi
    local rc=0
    wait "$DAEMON_PID" || rc=$?
    DAEMON_PID=""
    fail "$LAB_DIRECTOR exited with status $rc instead of running; its last words: $(tail -n 3 "$MODE_LOGS/director.log" | tr '\n' ' ')"
}

start_daemon() {
    local config=$EXAMPLES/$MODE/keepalived.conf pidfile
    local -a command
    read -r -a command <<<"$(daemon_command "$config" "$RUNDIR")"
    pidfile=$RUNDIR/$LAB_DIRECTOR.pid
    log "  $LAB_DIRECTOR: ${command[*]}"
    ip netns exec "$(namespace director)" "${command[@]}" >"$MODE_LOGS/director.log" 2>&1 &
    DAEMON_PID=$!
    # Started = running and its pid file (-p) written; a daemon that cannot start exits instead.
    local deadline=$((SECONDS + WAIT_DAEMON))
    until [ "$(cat "$pidfile" 2>/dev/null)" = "$DAEMON_PID" ]; do
        check_daemon_running
        [ "$SECONDS" -lt "$deadline" ] || fail "$LAB_DIRECTOR runs but did not write its pid ($DAEMON_PID) to $pidfile within ${WAIT_DAEMON}s"
        sleep 0.3
    done
}

run_mode() {
    MODE=$1
    MODE_LOGS=$LOGDIR/$MODE
    rm -rf "$MODE_LOGS"
    mkdir -p "$MODE_LOGS"
    RUNDIR=$(mktemp -d /tmp/lvs-lab-run.XXXXXX)     # the daemon's pid files: fresh for every run
    configure_mode
    trap cleanup_mode EXIT
    trap 'fail "interrupted"' INT TERM
    set -E
    trap 'fail "command failed with status $?: $BASH_COMMAND"' ERR
    MODE_STARTED=$SECONDS
    if [ "$MODE" = ha ]; then run_ha; return; fi
    if [ "$MODE" = ecmp ]; then HA_NODES="dir1 dir2 dir3"; run_ecmp; return; fi

    step "build namespaces: $(mode_nodes | sed 's/ /, /g')"
    remove_namespaces
    local node
    "build_topology_$MODE"
    create_topology
    [ "$MODE" != tun ] || configure_router_tun

    step "real servers: $MODE/realserver.sh start on rs1 and rs2"
    # Both at once (they are independent hosts); each one's status is checked.
    local -A setup_pid=()
    for node in rs1 rs2; do
        ip netns exec "$(namespace "$node")" env "${RS_ENV[@]}" "$EXAMPLES/$MODE/realserver.sh" start &
        setup_pid[$node]=$!
    done
    for node in rs1 rs2; do
        wait "${setup_pid[$node]}" || fail "realserver.sh start failed on $node"
    done

    step "web servers: rs1 and rs2 answer with their names"
    start_web_server rs1
    start_web_server rs2
    wait_web_server rs1
    wait_web_server rs2

    step "director: $MODE/director.sh start with $LAB_CTL"
    in_ns director env "${DIRECTOR_ENV[@]}" "$EXAMPLES/$MODE/director.sh" start || fail "director.sh start failed"
    check_table 1 1
    log "  $LAB_CTL -Ln:"
    show_table

    step "director: director.sh start again changes nothing"
    local before after
    before=$(listing)
    in_ns director env "${DIRECTOR_ENV[@]}" "$EXAMPLES/$MODE/director.sh" start || fail "second director.sh start failed"
    after=$(listing)
    [ "$before" = "$after" ] || fail "the listing changed: before [$before] after [$after]"
    check_table 1 1

    step "director daemon: $LAB_DIRECTOR with $MODE/keepalived.conf keeps both real servers in"
    start_daemon
    # Its first checks run within delay_loop (1 s) of the start: the table must still show both real servers
    # up after they have had time to run a few times.
    wait_weights 1 1
    hold_weights 1 1 3

    step "traffic: both real servers answer"
    expect_both_answer

    step "failure: stop rs1's web server, $LAB_DIRECTOR sets its weight to 0"
    stop_web_server rs1
    wait_weights 0 1
    log "  rs1 weight 0 after ${WAITED}s; $LAB_CTL -Ln:"
    show_table

    step "traffic: every request goes to rs2"
    expect_only rs2

    step "recovery: restart rs1's web server, $LAB_DIRECTOR restores its weight"
    start_web_server rs1
    wait_web_server rs1
    wait_weights 1 1
    log "  rs1 weight 1 after ${WAITED}s; $LAB_CTL -Ln:"
    show_table

    step "traffic: both real servers answer again"
    expect_both_answer

    step "teardown: stop $LAB_DIRECTOR, director.sh stop, realserver.sh stop"
    stop_process "$DAEMON_PID" || fail "$LAB_DIRECTOR needed SIGKILL to stop"
    DAEMON_PID=""
    in_ns director env "${DIRECTOR_ENV[@]}" "$EXAMPLES/$MODE/director.sh" stop || fail "director.sh stop failed"
    [ -z "$(kernel_destinations)" ] || fail "real servers of $VIP:80 are still in the kernel table"
    ! kernel_has_service || fail "the virtual service $VIP:80 is still in the kernel table"
    ! in_ns director ip -o addr show | grep -qF " $VIP/32 " || fail "the VIP is still on the director"
    for node in rs1 rs2; do
        in_ns "$node" env "${RS_ENV[@]}" "$EXAMPLES/$MODE/realserver.sh" stop || fail "realserver.sh stop failed on $node"
    done

    log "passed in $((SECONDS - MODE_STARTED))s"
}

# ---------------------------------------------------------------------------------------------------------------
# The ha mode: examples/ha on one segment.
#
#   client 10.40.0.10 --+
#   dir1 10.40.0.2 -----+                     VI_DR (VRRPv2, 1 s): VIP 10.40.0.100, dir1 priority 150, dir2 100;
#   dir2 10.40.0.3 -----+-- br-lan --+        both program VIP:80 -> rs1, rs2 (DR) and run the IPVS sync daemon
#   rs1 10.40.0.11, rs2 10.40.0.12 --+        nginx; VIP on lo (examples/dr/realserver.sh)
#   svc1 10.40.0.21, svc2 10.40.0.22          nginx; VI_WEB (VRRPv3, 0.5 s): 10.40.0.200, svc1 150, svc2 100,
#                                             chk_nginx (curl 127.0.0.1) weight -60
#
# Each daemon gets the example config with two paths replaced (notify.sh from this checkout, its state files
# under RUNDIR/NODE) and RUNDIR/NODE for its pid files and control socket.

HA_NODES=""
declare -A HA_PID=()            # node -> the daemon's pid
declare -A NGINX_PID=()         # node -> nginx's master pid
declare -A HA_ADDR=([client]=10.40.0.10 [dir1]=10.40.0.2 [dir2]=10.40.0.3 [rs1]=10.40.0.11 [rs2]=10.40.0.12
                    [svc1]=10.40.0.21 [svc2]=10.40.0.22)
declare -A HA_CONFIG=([dir1]=dr-director1.conf [dir2]=dr-director2.conf [svc1]=web-node1.conf [svc2]=web-node2.conf)
LONG_PID=""
LONG_LOG=""
MONITOR_PIDS=""
HA_STARTED=0

# Whether the words of WANT appear in GOT in the same order (others may come between them).
in_order() {
    local -a want got
    read -r -a want <<<"$1"
    read -r -a got <<<"$2"
    local i=0 word
    for word in "${got[@]}"; do
        if [ "$i" -lt "${#want[@]}" ] && [ "$word" = "${want[$i]}" ]; then i=$((i + 1)); fi
    done
    [ "$i" -eq "${#want[@]}" ]
}

build_topology_ha() {
    # No multicast snooping: VRRP (224.0.0.18) and the sync daemon (224.0.0.81) are link-local groups, flooded
    # anyway; this keeps it so for any group.
    SWITCH_BATCH+="link add br-lan type bridge mcast_snooping 0"$'\n'"link set br-lan up"$'\n'
    local node
    for node in client dir1 dir2 rs1 rs2 svc1 svc2; do attach "$node" eth0 br-lan "${HA_ADDR[$node]}/24"; done
}

# Microseconds since the epoch; the seconds (two decimals) from T0 to T1 (default: now), both in microseconds.
now_us() { echo "${EPOCHREALTIME/./}"; }
since() { local us=$((${2:-$(now_us)} - $1)); printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000)); }

# The polling below runs while four daemons and their scripts share the emulated CPUs: it starts as few processes
# as it can (ip -n rather than ip netns exec, /proc and files read by the shell itself).
holds() { [[ $(ip -n "$(namespace "$1")" -o -4 addr show dev eth0) == *" $2/32 "* ]]; }

# What the notify script last wrote for INSTANCE on NODE ("none" before the first notify).
ha_state() { local state=none; [ -r "$RUNDIR/$1/$2.state" ] && read -r state < "$RUNDIR/$1/$2.state"; echo "$state"; }

# An address monitor (ip -ts monitor address) on each VRRP node's eth0, from before the daemons start: the times
# the lab reports are those of the kernel's address events, not of its own polling, which is slow under emulation.
start_monitors() {
    local node
    for node in "$@"; do
        ip -n "$(namespace "$node")" -ts monitor address dev eth0 >"$MODE_LOGS/monitor-$node.log" 2>&1 &
        MONITOR_PIDS+=" $!"
    done
}

# The time (µs since the epoch) of the first addition (add) or removal (del) of ADDRESS on NODE at or after T0
# (µs), from its monitor; nothing if there was none.
address_event() {
    local node=$1 kind=$2 address=$3 t0=$4 line us
    while IFS= read -r line; do
        case "$line" in
            "["*"] Deleted "*" inet $address/32 "*) [ "$kind" = del ] || continue ;;
            "["*"] "*" inet $address/32 "*) [ "$kind" = add ] || continue ;;
            *) continue ;;
        esac
        line=${line#[}
        us=$(date -d "${line%%]*}" +%s%6N) || continue
        if [ "$us" -ge "$t0" ]; then echo "$us"; return 0; fi
    done < "$MODE_LOGS/monitor-$node.log"
}

# Who holds ADDRESS among NODES, as "dir1" or "dir1 dir2" or "nobody".
holders() {
    local address=$1 node who=""; shift
    for node in "$@"; do holds "$node" "$address" && who+="${who:+ }$node"; done
    echo "${who:-nobody}"
}

check_ha_daemons() {
    local node pid rc stat
    for node in "${!HA_PID[@]}"; do
        pid=${HA_PID[$node]}
        # A process that exited but is not yet reaped is still in /proc, in state Z.
        stat=""
        read -r stat < "/proc/$pid/stat" 2>/dev/null || true
        stat=${stat##*) }
        [ -n "$stat" ] && [ "${stat%% *}" != Z ] && continue
        rc=0
        wait "$pid" || rc=$?
        unset "HA_PID[$node]"
        fail "$LAB_DIRECTOR on $node exited with status $rc; its last words: $(tail -n 3 "$MODE_LOGS/$node.log" | tr '\n' ' ')"
    done
}

render_ha_config() {
    local node=$1
    mkdir -p "$RUNDIR/$node"
    sed -e "s|/etc/keepalived/notify.sh|$EXAMPLES/ha/notify.sh|g" -e "s|/run/keepalived/|$RUNDIR/$node/|g" \
        "$EXAMPLES/ha/${HA_CONFIG[$node]}" > "$RUNDIR/$node/keepalived.conf"
}

# Starts the daemon on NODE (in the background); start_ha_daemons_wait waits for the pid files.
start_ha_daemon() {
    local node=$1
    local -a command
    read -r -a command <<<"$(daemon_command "$RUNDIR/$node/keepalived.conf" "$RUNDIR/$node")"
    log "  $node: ${command[*]}"
    ip netns exec "$(namespace "$node")" "${command[@]}" >>"$MODE_LOGS/$node.log" 2>&1 &
    HA_PID[$node]=$!
}

wait_ha_daemons_started() {
    local node deadline=$((SECONDS + WAIT_DAEMON))
    for node in "$@"; do
        until [ "$(cat "$RUNDIR/$node/$LAB_DIRECTOR.pid" 2>/dev/null)" = "${HA_PID[$node]}" ]; do
            check_ha_daemons
            [ "$SECONDS" -lt "$deadline" ] || fail "$LAB_DIRECTOR on $node did not write its pid (${HA_PID[$node]}) to $RUNDIR/$node/$LAB_DIRECTOR.pid within ${WAIT_DAEMON}s"
            sleep 0.2
        done
    done
}

# kill -9 of the daemon on NODE, all its processes at once (keepalived: parent, VRRP and checker children): the
# parent is stopped first, so that it neither restarts a child nor lets the children see it die (they would
# then stop cleanly, sending priority 0). Nothing of it runs afterwards: no priority-0 advert, no clean-up.
crash_ha_daemon() {
    local node=$1 pid=${HA_PID[$1]} children
    kill -STOP "$pid"
    children=$(ps -o pid= --ppid "$pid" | tr -s ' \n' ' ' || true)     # none for lvsd (one process)
    # shellcheck disable=SC2086 # a list of pids
    kill -KILL $children "$pid"
    wait "$pid" 2>/dev/null || true
    unset "HA_PID[$node]"
    # shellcheck disable=SC2086 # one line of pids
    CRASHED=$(echo "$pid" $children)
}

start_nginx() {
    local node=$1 dir=$RUNDIR/$1/nginx
    mkdir -p "$dir/www" "$dir/tmp"
    echo "$node" > "$dir/www/index.html"
    # Debian's nginx, with every path it would write under /var or /run moved here. Keep-alive lets the long-lived
    # client make thousands of requests on one connection.
    cat > "$dir/nginx.conf" <<NGINX
daemon off;
user root;
worker_processes 1;
pid $dir/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    server {
        listen 80;
        root $dir/www;
    }
}
NGINX
    ip netns exec "$(namespace "$node")" nginx -e stderr -c "$dir/nginx.conf" >>"$MODE_LOGS/nginx-$node.log" 2>&1 &
    NGINX_PID[$node]=$!
}

wait_nginx() {
    local node=$1 deadline=$((SECONDS + WAIT_SERVER)) body
    while :; do
        body=$(in_ns "$node" curl -s --noproxy '*' -m 2 "http://${HA_ADDR[$node]}/" 2>/dev/null || true)
        [ "$body" = "$node" ] && return 0
        kill -0 "${NGINX_PID[$node]}" 2>/dev/null || fail "nginx on $node exited: $(tail -n 3 "$MODE_LOGS/nginx-$node.log" | tr '\n' ' ')"
        [ "$SECONDS" -ge "$deadline" ] && fail "nginx on $node did not answer within ${WAIT_SERVER}s"
        sleep 0.2
    done
}

stop_nginx() {
    local node=$1
    stop_process "${NGINX_PID[$node]}" || fail "nginx on $node needed SIGKILL"
    unset "NGINX_PID[$node]"
}

# Waits (at most LIMIT seconds from T0, in µs) until MASTER holds ADDRESS with INSTANCE's state file saying MASTER,
# and, unless OTHER is "-", OTHER neither holds it nor says anything but BACKUP. Sets TOOK: the seconds from T0 to
# the kernel's event adding ADDRESS on MASTER (to the poll that saw it, if the monitor missed it).
wait_vrrp() {
    local address=$1 instance=$2 master=$3 other=$4 limit=$5 t0=$6
    while :; do
        check_ha_daemons
        if holds "$master" "$address" && [ "$(ha_state "$master" "$instance")" = MASTER ]; then
            if [ "$other" = - ]; then break; fi
            if ! holds "$other" "$address" && [ "$(ha_state "$other" "$instance")" = BACKUP ]; then break; fi
        fi
        if [ $(($(now_us) - t0)) -ge $((limit * 1000000)) ]; then
            local others=$master
            [ "$other" = - ] || others+=" $other"
            # shellcheck disable=SC2086 # node names
            fail "after ${limit}s: $address held by $(holders "$address" $others); $instance state: $master $(ha_state "$master" "$instance")$([ "$other" = - ] || echo ", $other $(ha_state "$other" "$instance")")"
        fi
        sleep 0.2
    done
    local added
    added=$(address_event "$master" add "$address" "$t0")
    TOOK=$(since "$t0" "${added:-}")
}

# The long-lived client: one TCP connection to the VIP, an HTTP/1.1 request on it every 100 ms (keep-alive). One
# line per answer: "SECONDS-SINCE-START LATENCY-MS BODY"; "BROKEN reason" and exit 1 if the connection fails;
# "END count" on SIGTERM.
LONG_CLIENT_PROGRAM='
import signal, socket, sys, time
vip, out = sys.argv[1], open(sys.argv[2], "a", buffering=1)
stopping = False
def stop(*_):
    global stopping
    stopping = True
signal.signal(signal.SIGTERM, stop)
start, count, pending = time.monotonic(), 0, b""
def read_more(connection):
    chunk = connection.recv(65536)
    if not chunk:
        raise OSError("connection closed by the other end")
    return chunk
try:
    connection = socket.create_connection((vip, 80), timeout=60)
    out.write("local %s:%d\n" % connection.getsockname())
    request = b"GET / HTTP/1.1\r\nHost: " + vip.encode() + b"\r\n\r\n"
    while not stopping:
        sent = time.monotonic()
        connection.sendall(request)
        while b"\r\n\r\n" not in pending:
            pending += read_more(connection)
        head, _, pending = pending.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 200 "):
            raise OSError("unexpected response: %r" % lines[0])
        length = int(next(l.split(":", 1)[1] for l in lines if l.lower().startswith("content-length:")))
        while len(pending) < length:
            pending += read_more(connection)
        body, pending = pending[:length], pending[length:]
        count += 1
        now = time.monotonic()
        out.write("%.3f %d %s\n" % (now - start, (now - sent) * 1000, body.decode().strip()))
        time.sleep(0.1)
    out.write("END %d\n" % count)
except (OSError, ValueError, StopIteration) as error:
    out.write("BROKEN %s\n" % error)
    sys.exit(1)
'

long_answers() { grep -c '^[0-9]' "$LONG_LOG" || true; }

long_check_alive() {
    if grep -q '^BROKEN' "$LONG_LOG"; then fail "the long-lived connection broke: $(grep '^BROKEN' "$LONG_LOG")"; fi
    kill -0 "$LONG_PID" 2>/dev/null || fail "the long-lived client exited: $(tail -n 2 "$LONG_LOG" | tr '\n' ' ')"
}

# Waits until the long-lived client has COUNT more answers than FROM (bounded); sets LONG_WAITED.
long_wait_answers() {
    local from=$1 count=$2 limit=$3 t0
    t0=$(now_us)
    until [ "$(long_answers)" -ge $((from + count)) ]; do
        long_check_alive
        check_ha_daemons
        [ $(($(now_us) - t0)) -lt $((limit * 1000000)) ] || fail "the long-lived connection got $(($(long_answers) - from)) answers in ${limit}s, expected $count; last lines: $(tail -n 2 "$LONG_LOG" | tr '\n' ' ')"
        sleep 0.2
    done
    LONG_WAITED=$(since "$t0")
}

# The longest wait for an answer on the long-lived connection after its answer number FROM, in seconds.
long_longest_after() {
    awk -v from="$1" '/^[0-9]/ { n++; if (n > from && $2 > max) max = $2 } END { printf "%.2f", max / 1000 }' "$LONG_LOG"
}

# The client's connection in NODE's IPVS connection table (/proc/net/ip_vs_conn), as "STATE real-server".
ipvs_connection() {
    local node=$1 client_hex vip_hex port_hex
    # shellcheck disable=SC2086 # four octets as four arguments
    client_hex=$(printf '%02X%02X%02X%02X' ${HA_ADDR[client]//./ })
    # shellcheck disable=SC2086
    vip_hex=$(printf '%02X%02X%02X%02X' ${VIP//./ })
    port_hex=$(printf '%04X' "$LONG_PORT")
    local proto from fport to tport dest dport state rest
    in_ns "$node" cat /proc/net/ip_vs_conn | while read -r proto from fport to tport dest dport state rest; do
        [ "$proto $from $fport $to $tport" = "TCP $client_hex $port_hex $vip_hex 0050" ] || continue
        printf '%s %d.%d.%d.%d\n' "$state" "0x${dest:0:2}" "0x${dest:2:2}" "0x${dest:4:2}" "0x${dest:6:2}"
    done
}

# One request from the client to ADDRESS: the body (curl; the web pair answers with its node's name).
ask() { in_ns client curl -s --noproxy '*' -m 3 "http://$1/" 2>/dev/null || echo FAILED; }

# The kernel's real servers of VIP:80 on NODE, as in kernel_destinations.
ha_destinations() {
    local node=$1 want service="" proto addr forward weight rest h
    # shellcheck disable=SC2086
    want=$(printf '%02X%02X%02X%02X:0050' ${VIP//./ })
    in_ns "$node" cat /proc/net/ip_vs | while read -r proto addr forward weight rest; do
        case "$proto" in
            TCP|UDP|SCTP|FWM) service="$proto $addr" ;;
            "->")
                [ "$service" = "TCP $want" ] || continue
                h=${addr%:*}
                printf '%d.%d.%d.%d:%d %s %s\n' "0x${h:0:2}" "0x${h:2:2}" "0x${h:4:2}" "0x${h:6:2}" \
                    "0x${addr#*:}" "$forward" "$weight"
                ;;
        esac
    done | sort
}

cleanup_ha() {
    local node pid
    [ -n "$LONG_PID" ] && kill -KILL "$LONG_PID" 2>/dev/null
    for pid in $MONITOR_PIDS; do kill -TERM "$pid" 2>/dev/null; done
    for node in "${!HA_PID[@]}"; do stop_process "${HA_PID[$node]}"; done
    for node in "${!NGINX_PID[@]}"; do stop_process "${NGINX_PID[$node]}"; done
    for node in rs1 rs2; do
        [ -e "/run/netns/$(namespace "$node")" ] && in_ns "$node" env "${RS_ENV[@]}" "$EXAMPLES/dr/realserver.sh" stop >/dev/null 2>&1
    done
    return 0
}

run_ha() {
    HA_NODES="dir1 dir2 svc1 svc2"
    local node t0 before expected

    step "build namespaces: $(mode_nodes | sed 's/ /, /g')"
    remove_namespaces
    build_topology_ha
    create_topology
    start_monitors dir1 dir2 svc1 svc2

    step "real servers: dr/realserver.sh start on rs1 and rs2 (VIP $VIP on lo); nginx on rs1, rs2, svc1, svc2"
    local -A setup_pid=()
    for node in rs1 rs2; do
        ip netns exec "$(namespace "$node")" env "${RS_ENV[@]}" "$EXAMPLES/dr/realserver.sh" start &
        setup_pid[$node]=$!
    done
    for node in rs1 rs2 svc1 svc2; do start_nginx "$node"; done
    for node in rs1 rs2; do wait "${setup_pid[$node]}" || fail "realserver.sh start failed on $node"; done
    for node in rs1 rs2 svc1 svc2; do wait_nginx "$node"; done

    step "daemons: $LAB_DIRECTOR on dir1, dir2 (ha/dr-director{1,2}.conf) and svc1, svc2 (ha/web-node{1,2}.conf)"
    t0=$(now_us)
    HA_STARTED=$t0
    for node in dir1 dir2 svc1 svc2; do render_ha_config "$node"; start_ha_daemon "$node"; done
    wait_ha_daemons_started dir1 dir2 svc1 svc2

    step "election: dir1 MASTER with $VIP, dir2 BACKUP; svc1 MASTER with $WEB_VIP, svc2 BACKUP"
    wait_vrrp "$VIP" VI_DR dir1 dir2 30 "$t0"
    log "  VI_DR: dir1 MASTER holding $VIP, dir2 BACKUP, ${TOOK}s after the daemons' start"
    wait_vrrp "$WEB_VIP" VI_WEB svc1 svc2 30 "$t0"
    log "  VI_WEB: svc1 MASTER holding $WEB_VIP, svc2 BACKUP, ${TOOK}s after the daemons' start"
    # Both directors program the service (the backup's table is ready for a takeover); the checks keep rs1 and rs2.
    expected=$(printf '%s:80 %s 1\n' "$RS1" "$FORWARD" "$RS2" "$FORWARD" | sort)
    local deadline=$((SECONDS + WAIT_DAEMON))
    for node in dir1 dir2; do
        until [ "$(ha_destinations "$node")" = "$expected" ]; do
            check_ha_daemons
            [ "$SECONDS" -lt "$deadline" ] || fail "$node's kernel table has $(describe "$(ha_destinations "$node")") for $VIP:80, expected $(describe "$expected")"
            sleep 0.5
        done
    done
    log "  dir1 and dir2 both have $VIP:80 -> rs1, rs2 (Route, weight 1); $LAB_CTL -Ln on dir1:"
    in_ns dir1 "$CTL" -Ln -t "$VIP:80" | sed 's/^/    /'

    step "traffic: requests to $VIP through dir1 reach both real servers"
    expect_both_answer
    [ "$(ask "$WEB_VIP")" = svc1 ] || fail "$WEB_VIP was answered by '$(ask "$WEB_VIP")', expected svc1"
    log "  $WEB_VIP answered by svc1"

    step "long-lived connection: one TCP connection from the client to $VIP:80, a request every 100 ms"
    LONG_LOG=$MODE_LOGS/long-client.log
    : > "$LONG_LOG"
    ip netns exec "$(namespace client)" python3 -c "$LONG_CLIENT_PROGRAM" "$VIP" "$LONG_LOG" 2>>"$MODE_LOGS/client.log" &
    LONG_PID=$!
    long_wait_answers 0 10 30
    LONG_PORT=$(awk -F: '/^local / { print $2; exit }' "$LONG_LOG")
    local server
    server=$(awk '/^[0-9]/ { print $3; exit }' "$LONG_LOG")
    log "  client port $LONG_PORT, answered by $server"
    # The sync daemon has copied it to dir2's kernel (the master's sync thread sends at least every 2 s).
    local conn="" deadline=$((SECONDS + 10))
    until [ -n "$conn" ]; do
        conn=$(ipvs_connection dir2)
        [ -n "$conn" ] && break
        [ "$SECONDS" -lt "$deadline" ] || fail "dir2's IPVS connection table (/proc/net/ip_vs_conn) has no copy of the client's connection ${HA_ADDR[client]}:$LONG_PORT -> $VIP:80 after 10s (dir1 has: $(ipvs_connection dir1)): the sync daemon did not carry it"
        sleep 0.5
    done
    log "  dir1 has it ($(ipvs_connection dir1)); dir2 has the sync daemon's copy ($conn)"

    # dir1 dies as a host does: its daemon is killed with SIGKILL (no priority-0 advert, no clean-up: the VIP and the
    # IPVS table stay on dir1) and its switch port goes down (nothing it sends or forwards arrives any more).
    step "failover: dir1 dies (kill -9 of $LAB_DIRECTOR, switch port down); dir2 takes $VIP over; the connection goes on"
    before=$(long_answers)
    t0=$(now_us)
    # The kill first: a daemon that saw its link go down would go FAULT and remove the VIP itself.
    crash_ha_daemon dir1
    ip -n "$(namespace switch)" link set lan-dir1 down
    log "  killed $LAB_DIRECTOR on dir1 (pids $CRASHED), its switch port down"
    wait_vrrp "$VIP" VI_DR dir2 - 20 "$t0"
    log "  dir2 MASTER holding $VIP ${TOOK}s after the kill (RFC 3768 master-down interval for priority 100: 3.61s after the last advert)"
    long_wait_answers "$(long_answers)" 10 30
    log "  the connection answered again through dir2: 10 answers within ${LONG_WAITED}s of the takeover; longest wait $(long_longest_after "$before")s (the takeover plus TCP's retransmission back-off)"
    [ "$(awk '/^[0-9]/ { print $3 }' "$LONG_LOG" | sort -u)" = "$server" ] || fail "the connection was answered by $(awk '/^[0-9]/ { print $3 }' "$LONG_LOG" | sort -u | tr '\n' ' ')"
    expect_both_answer

    step "return: dir1's switch port up, $LAB_DIRECTOR restarted on dir1; it drops the VIP kill -9 left and preempts"
    before=$(long_answers)
    ip -n "$(namespace switch)" link set lan-dir1 up
    t0=$(now_us)
    start_ha_daemon dir1
    wait_ha_daemons_started dir1
    wait_vrrp "$VIP" VI_DR dir1 dir2 30 "$t0"
    local removed
    removed=$(address_event dir1 del "$VIP" "$t0")
    [ -n "$removed" ] || fail "dir1 never removed the VIP it had before the kill (no address event in $MODE_LOGS/monitor-dir1.log)"
    log "  dir1 removed the leftover VIP $(since "$t0" "$removed")s after the restart, then became MASTER with $VIP ${TOOK}s after it; dir2 BACKUP"
    long_wait_answers "$(long_answers)" 10 30
    log "  the connection goes on: 10 more answers within ${LONG_WAITED}s; longest wait since the restart $(long_longest_after "$before")s"
    kill -TERM "$LONG_PID"
    local rc=0
    wait "$LONG_PID" || rc=$?
    LONG_PID=""
    [ "$rc" -eq 0 ] && grep -q '^END ' "$LONG_LOG" || fail "the long-lived client ended with status $rc: $(tail -n 2 "$LONG_LOG" | tr '\n' ' ')"
    [ "$(awk '/^[0-9]/ { print $3 }' "$LONG_LOG" | sort -u)" = "$server" ] || fail "the connection was answered by $(awk '/^[0-9]/ { print $3 }' "$LONG_LOG" | sort -u | tr '\n' ' ')"
    log "  one connection, $(long_answers) answers, all from $server, over $(awk '/^[0-9]/ { t = $1 } END { printf "%.1f", t }' "$LONG_LOG")s; longest wait $(long_longest_after 0)s"
    expect_both_answer

    step "service check: stop nginx on svc1; chk_nginx fails, svc1 drops to priority 90 and svc2 takes $WEB_VIP"
    t0=$(now_us)
    stop_nginx svc1
    wait_vrrp "$WEB_VIP" VI_WEB svc2 svc1 30 "$t0"
    log "  svc2 MASTER holding $WEB_VIP, svc1 BACKUP, ${TOOK}s after nginx stopped"
    [ "$(ask "$WEB_VIP")" = svc2 ] || fail "$WEB_VIP was answered by '$(ask "$WEB_VIP")', expected svc2"
    log "  $WEB_VIP answered by svc2"

    step "service back: restart nginx on svc1; chk_nginx succeeds, svc1 back to 150 takes $WEB_VIP back"
    start_nginx svc1
    wait_nginx svc1
    t0=$(now_us)
    wait_vrrp "$WEB_VIP" VI_WEB svc1 svc2 30 "$t0"
    log "  svc1 MASTER holding $WEB_VIP again, svc2 BACKUP, ${TOOK}s after nginx answered"
    [ "$(ask "$WEB_VIP")" = svc1 ] || fail "$WEB_VIP was answered by '$(ask "$WEB_VIP")', expected svc1"

    step "transitions recorded by notify.sh (seconds since the daemons' start)"
    local want got extra=""
    for node in dir1 dir2 svc1 svc2; do
        local instance=VI_DR
        [ "${node#svc}" = "$node" ] || instance=VI_WEB
        log "  $node $instance: $(awk -v t0="$HA_STARTED" '{ printf "%s@%.1f ", $2, $1 - t0 / 1000000 }' "$RUNDIR/$node/$instance.state.log")"
        # Each node went through these, in this order, and ended in the last; more transitions than these (a
        # starved daemon's script timing out, or its adverts late) are reported, not failed: every step above
        # checked the state it needed when it needed it.
        case $node in
            dir1|svc1) want="BACKUP MASTER BACKUP MASTER" ;;
            dir2|svc2) want="BACKUP MASTER BACKUP" ;;
        esac
        got=$(awk '{ print $2 }' "$RUNDIR/$node/$instance.state.log" | tr '\n' ' ')
        in_order "$want" "$got" || fail "$node's $instance transitions were $got; expected $want in this order"
        [ "$(awk 'END { print $2 }' "$RUNDIR/$node/$instance.state.log")" = "${want##* }" ] \
            || fail "$node's $instance transitions were $got; expected to end in ${want##* }"
        [ "$(wc -w <<<"$got")" -eq "$(wc -w <<<"$want")" ] || extra+=" $node"
    done
    [ -z "$extra" ] || log "  note: more transitions than the steps made on$extra (a daemon short of CPU: a check script timing out, adverts late)"

    step "teardown: stop the daemons (SIGTERM; backups first), nginx, realserver.sh stop"
    for node in dir2 svc2 dir1 svc1; do
        stop_process "${HA_PID[$node]}" || fail "$LAB_DIRECTOR on $node needed SIGKILL to stop"
        unset "HA_PID[$node]"
    done
    for node in dir1 dir2; do ! holds "$node" "$VIP" || fail "$VIP is still on $node after $LAB_DIRECTOR stopped"; done
    for node in svc1 svc2; do ! holds "$node" "$WEB_VIP" || fail "$WEB_VIP is still on $node after $LAB_DIRECTOR stopped"; done
    for node in rs1 rs2 svc1 svc2; do stop_nginx "$node"; done
    for node in rs1 rs2; do
        in_ns "$node" env "${RS_ENV[@]}" "$EXAMPLES/dr/realserver.sh" stop || fail "realserver.sh stop failed on $node"
    done

    log "passed in $((SECONDS - MODE_STARTED))s"
}

# ---------------------------------------------------------------------------------------------------------------

remove_all_namespaces() {
    local mode
    for mode in "${LAB_MODES[@]}"; do MODE=$mode remove_namespaces; done
}

main() {
    local -a modes=()
    local arg
    for arg in "$@"; do
        case "$arg" in
            dr|nat|tun|ha|ecmp) modes+=("$arg") ;;
            # ecmp needs lvsd's announce: with keepalived, all is the other four.
            all) modes+=(dr nat tun ha); [ "$LAB_DIRECTOR" != lvsd ] || modes+=(ecmp) ;;
            -h|--help) usage ;;
            *) echo "lab.sh: unknown mode '$arg'" >&2; usage ;;
        esac
    done
    if [ ${#modes[@]} -eq 0 ]; then modes=(dr nat tun ha); [ "$LAB_DIRECTOR" != lvsd ] || modes+=(ecmp); fi
    case "$LAB_DIRECTOR" in lvsd|keepalived) ;; *) die "LAB_DIRECTOR must be lvsd or keepalived, not '$LAB_DIRECTOR'" ;; esac
    case "$LAB_CTL" in lvsctl|ipvsadm) ;; *) die "LAB_CTL must be lvsctl or ipvsadm, not '$LAB_CTL'" ;; esac

    if [ -z "${LVS_IN_VM:-}" ]; then
        install_prerequisites
        if needs_swift_build && [ -z "$LAB_BIN" ]; then build_tools; fi
    fi
    case "$LAB_VM" in
        yes) [ -z "${LVS_IN_VM:-}" ] && run_in_vm "${modes[@]}" ;;
        auto) if [ "$(id -u)" -ne 0 ] || ! kernel_has_ipvs; then
                  [ -n "${LVS_IN_VM:-}" ] && die "no IPVS in this kernel, even inside the VM"
                  run_in_vm "${modes[@]}"
              fi ;;
        no) ;;
        *) die "LAB_VM must be auto, yes or no" ;;
    esac
    [ "$(id -u)" -eq 0 ] || die "the lab needs root (network namespaces, IPVS)"
    kernel_has_ipvs || die "this kernel has no IPVS (modprobe ip_vs failed)"

    resolve_tools
    local module
    for module in veth bridge ipip dummy; do modprobe "$module" 2>/dev/null || true; done
    LOGDIR=${LAB_LOGDIR:-$(mktemp -d /tmp/lvs-lab.XXXXXX)}
    mkdir -p "$LOGDIR"
    say "director daemon: $LAB_DIRECTOR ($DAEMON); CLI: $LAB_CTL ($CTL); kernel $(uname -r); logs: $LOGDIR"

    local mode rc failed=0 started=$SECONDS
    LAB_MODES=("${modes[@]}")
    trap remove_all_namespaces EXIT
    local -a summary=()
    for mode in "${modes[@]}"; do
        set +e
        (set -e; run_mode "$mode")
        rc=$?
        set -e
        if [ "$rc" -eq 0 ]; then
            summary+=("$mode: passed")
        else
            failed=1
            summary+=("$mode: FAILED at $(cat "$LOGDIR/$mode/failed" 2>/dev/null || echo "an unrecorded step (status $rc)")")
        fi
    done
    for arg in "${summary[@]}"; do say "$arg"; done
    if [ "$failed" -eq 0 ]; then
        say "all passed (${modes[*]}) with $LAB_DIRECTOR and $LAB_CTL in $((SECONDS - started))s"
    else
        say "FAILED (director daemon $LAB_DIRECTOR, CLI $LAB_CTL) after $((SECONDS - started))s"
        exit 1
    fi
}

# The ecmp mode: a tier of three directors behind a BIRD (or FRR) router.
source "$EXAMPLES/ecmp/lab-ecmp.sh"

main "$@"
