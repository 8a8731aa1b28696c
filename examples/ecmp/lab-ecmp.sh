# The ecmp mode of examples/lab.sh (sourced by it; uses its helpers: step, log, fail, in_ns, attach, ...).
#
#   client 10.80.1.10 -- br-edge -- router 10.80.1.1 / 10.80.0.1 (BIRD, or FRR with LAB_ROUTER=frr; ECMP by L4 hash)
#                                        |
#                              br-lan 10.80.0.0/24
#          dir1 .11, dir2 .12, dir3 .13 (lvsd + BIRD each)        rs1 .21, rs2 .22, rs3 .23 (nginx, DR)
#
# VIP 10.80.9.10:80 is served by all three directors at once: each runs lvsd with the same examples/ecmp
# configuration (announce, mh + mh-port, sloppy_tcp), and lvsd keeps the VIP on lvs0 exactly while the director can
# serve it; BIRD's direct protocol exports lvs0's addresses to the router over BGP. The router installs one route
# with a next hop per announcing director, and the kernel hashes each flow (addresses and ports) onto one.
#
# Asserted, in order:
#   1. every director announces, the router has three next hops, and new flows reach every director;
#   2. dir3's real servers become unreachable from dir3 (blackhole routes): the router drops dir3's next hop within
#      fall + 1 s (+ BGP's update), keeps the other two; back: three again;
#   3. drain of dir1 (lvsd drain): its next hop goes; every long-lived connection keeps working, those ECMP moved to
#      another director included (mh picks the same real server there; sloppy_tcp lets it take the flow mid-way);
#   4. dir2 dies (lvsd and BIRD killed with SIGKILL, its link down): the router drops it after BGP's hold time; every
#      long-lived connection still alive before keeps working.
# Then the same drain and death with the contrast configuration: rr, no sloppy_tcp, no sync daemon; the fraction of
# connections that survive is printed next to mh's (not asserted: it depends on the hash).

ECMP_VIP=10.80.9.10
ECMP_ROUTER=10.80.0.1
ECMP_FLOWS=${ECMP_FLOWS:-30}          # long-lived connections per scenario
ECMP_WAIT_ROUTE=30                    # seconds for the router's route to reach an expected set of next hops
ECMP_SETTLE=8                         # seconds after a drain or a death before the surviving connections are counted
declare -A ECMP_ADDR=([client]=10.80.1.10 [router]=10.80.0.1 [dir1]=10.80.0.11 [dir2]=10.80.0.12 [dir3]=10.80.0.13
                      [rs1]=10.80.0.21 [rs2]=10.80.0.22 [rs3]=10.80.0.23)
declare -A ECMP_PID=()                # lvsd and BIRD per director, the router's daemons: "lvsd-dir1", "bird-dir1", ...
ECMP_FLOWS_PID=""
ECMP_SURVIVAL=()                      # "variant scenario survived/total (moved: survived/total)" lines for the summary

build_topology_ecmp() {
    add_bridge br-edge
    add_bridge br-lan
    attach client eth0 br-edge "${ECMP_ADDR[client]}/24"
    node_command client "route add default via 10.80.1.1"
    attach router eth1 br-edge 10.80.1.1/24
    attach router eth0 br-lan "$ECMP_ROUTER/24"
    local node
    for node in dir1 dir2 dir3 rs1 rs2 rs3; do
        attach "$node" eth0 br-lan "${ECMP_ADDR[$node]}/24"
        node_command "$node" "route add default via $ECMP_ROUTER"
    done
}

ecmp_sysctl() { in_ns "$1" sysctl -qw "$2" >/dev/null || fail "sysctl $2 in $1 failed"; }

# Renders FILE.in with @NAME@ replaced by the values given as NAME=VALUE arguments.
ecmp_render() {
    local template=$1 out=$2; shift 2
    local text pair
    text=$(cat "$EXAMPLES/ecmp/$template")
    for pair in "$@"; do text=${text//@${pair%%=*}@/${pair#*=}}; done
    [[ $text != *@[A-Z]*@* ]] || fail "unrendered placeholder in $template: $(grep -o '@[A-Z_0-9]*@' <<<"$text" | sort -u | tr '\n' ' ')"
    printf '%s\n' "$text" > "$out"
}

start_router() {
    local dir=$RUNDIR/router
    mkdir -p "$dir"
    ecmp_sysctl router net.ipv4.ip_forward=1
    ecmp_sysctl router net.ipv4.fib_multipath_hash_policy=1
    case "$LAB_ROUTER" in
        bird)
            ecmp_render bird-router.conf.in "$dir/bird.conf" ROUTER="$ECMP_ROUTER" LOG="$MODE_LOGS/bird-router.log" \
                DIR1="${ECMP_ADDR[dir1]}" DIR2="${ECMP_ADDR[dir2]}" DIR3="${ECMP_ADDR[dir3]}"
            ip netns exec "$(namespace router)" bird -f -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid" >>"$MODE_LOGS/bird-router.out" 2>&1 &
            ECMP_PID[bird-router]=$!
            ;;
        frr)
            # zebra (routes into the kernel) and bgpd, as Debian's frr user (root is not in the frrvty group FRR
            # requires), with every path in the run directory; they log to their standard output.
            ecmp_render frr-router.conf.in "$dir/frr.conf" ROUTER="$ECMP_ROUTER" \
                DIR1="${ECMP_ADDR[dir1]}" DIR2="${ECMP_ADDR[dir2]}" DIR3="${ECMP_ADDR[dir3]}"
            : > "$dir/zebra.conf"
            chown -R frr:frr "$dir" || fail "cannot give $dir to the frr user (is Debian's frr installed?)"
            chmod 0755 "$RUNDIR"    # mktemp's 0700 would keep the frr user out of its own directory
            ip netns exec "$(namespace router)" /usr/lib/frr/zebra -u frr -g frr --vty_socket "$dir" -z "$dir/zserv.api" \
                -i "$dir/zebra.pid" -f "$dir/zebra.conf" >>"$MODE_LOGS/frr-zebra.out" 2>&1 &
            ECMP_PID[zebra-router]=$!
            local deadline=$((SECONDS + 20))
            until [ -S "$dir/zserv.api" ]; do
                kill -0 "${ECMP_PID[zebra-router]}" 2>/dev/null || fail "zebra exited: $(tail -n 3 "$MODE_LOGS/frr-zebra.out" | tr '\n' ' ')"
                [ "$SECONDS" -lt "$deadline" ] || fail "zebra did not open $dir/zserv.api within 20s"
                sleep 0.2
            done
            ip netns exec "$(namespace router)" /usr/lib/frr/bgpd -u frr -g frr --vty_socket "$dir" -z "$dir/zserv.api" \
                -i "$dir/bgpd.pid" -f "$dir/frr.conf" >>"$MODE_LOGS/frr-bgpd.out" 2>&1 &
            ECMP_PID[bgpd-router]=$!
            ;;
        *) fail "LAB_ROUTER must be bird or frr, not '$LAB_ROUTER'" ;;
    esac
}

# Writes the director configuration for VARIANT (mh: the tier's; rr: the contrast).
render_director_configs() {
    local variant=$1 node sched flags sysctls
    case "$variant" in
        mh) sched=mh; flags="    mh-port"; sysctls=$'    lvsd_sloppy_tcp\n    lvsd_schedule_icmp' ;;
        rr) sched=rr; flags=""; sysctls="    lvsd_sloppy_tcp off" ;;
    esac
    for node in dir1 dir2 dir3; do
        mkdir -p "$RUNDIR/$node"
        ecmp_render director.conf.in "$RUNDIR/$node/lvsd.conf" NODE="$node" VIP="$ECMP_VIP" SCHED="$sched" \
            SCHED_FLAGS="$flags" SYSCTLS="$sysctls" RS1="${ECMP_ADDR[rs1]}" RS2="${ECMP_ADDR[rs2]}" RS3="${ECMP_ADDR[rs3]}"
    done
}

start_director() {
    local node=$1 dir=$RUNDIR/$1
    mkdir -p "$dir"
    ip netns exec "$(namespace "$node")" "$DAEMON" -n -l -D -f "$dir/lvsd.conf" -p "$dir/lvsd.pid" --control-socket "$dir/lvsd.sock" \
        >>"$MODE_LOGS/$node.log" 2>&1 &
    ECMP_PID[lvsd-$node]=$!
    ecmp_render bird-director.conf.in "$dir/bird.conf" ADDR="${ECMP_ADDR[$node]}" ASN="6500${node#dir}" \
        ROUTER="$ECMP_ROUTER" LOG="$MODE_LOGS/bird-$node.log"
    ip netns exec "$(namespace "$node")" bird -f -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid" >>"$MODE_LOGS/bird-$node.out" 2>&1 &
    ECMP_PID[bird-$node]=$!
}

stop_director() {
    local node=$1 name
    for name in "lvsd-$node" "bird-$node"; do
        [ -n "${ECMP_PID[$name]:-}" ] || continue
        stop_process "${ECMP_PID[$name]}" || log "  $name needed SIGKILL"
        unset "ECMP_PID[$name]"
    done
}

check_ecmp_processes() {
    local name
    for name in "${!ECMP_PID[@]}"; do
        kill -0 "${ECMP_PID[$name]}" 2>/dev/null || fail "$name exited (logs in $MODE_LOGS)"
    done
}

# The router's next hops for the VIP, sorted, one per line ("" when there is no route).
next_hops() {
    ip -n "$(namespace router)" -4 route show "$ECMP_VIP/32" 2>/dev/null | grep -o 'via [0-9.]*' | awk '{ print $2 }' | sort
}

# Waits until the router's next hops for the VIP are exactly the addresses of NODES; sets TOOK (seconds from T0).
wait_next_hops() {
    local t0=$1; shift
    local expected="" node deadline=$((SECONDS + ECMP_WAIT_ROUTE))
    for node in "$@"; do expected+="${ECMP_ADDR[$node]}"$'\n'; done
    expected=$(sort <<<"${expected%$'\n'}" | sed '/^$/d')
    until [ "$(next_hops)" = "$expected" ]; do
        check_ecmp_processes
        [ "$SECONDS" -lt "$deadline" ] || fail "the router's next hops for $ECMP_VIP are [$(next_hops | tr '\n' ' ')], expected [$(tr '\n' ' ' <<<"$expected")] after ${ECMP_WAIT_ROUTE}s"
        sleep 0.1
    done
    TOOK=$(since "$t0")
}

# The client ports of the connections to the VIP that NODE forwarded in the last few seconds, one per line: IPVS
# restarts an established entry's 900 s expiry with every packet, and the long-lived clients ask every 0.3 s, so
# an entry with 898 s or more left is a flow this director carries now (a flow ECMP moved away leaves an entry
# that only counts down). /proc/net/ip_vs_conn is in hex.
director_ports() {
    local vip proto from port to tport dest dport state expires rest
    vip=$(printf '%02X' $(tr '.' ' ' <<<"$ECMP_VIP"))
    in_ns "$1" cat /proc/net/ip_vs_conn 2>/dev/null \
        | while read -r proto from port to tport dest dport state expires rest; do
            if [ "$to" = "$vip" ] && [ "$state" = ESTABLISHED ] && [ "$expires" -ge 898 ]; then echo $((16#$port)); fi
        done | sort -u
}

start_flows() {
    FLOWS_STATUS=$MODE_LOGS/flows-$1.status
    rm -f "$FLOWS_STATUS"
    ip netns exec "$(namespace client)" python3 "$EXAMPLES/ecmp/flows.py" "$ECMP_VIP" "$ECMP_FLOWS" "$FLOWS_STATUS" >>"$MODE_LOGS/flows.log" 2>&1 &
    ECMP_FLOWS_PID=$!
    local deadline=$((SECONDS + 30))
    until [ -s "$FLOWS_STATUS" ] && [ "$(awk '$2 > 0' "$FLOWS_STATUS" | wc -l)" -eq "$ECMP_FLOWS" ]; do
        kill -0 "$ECMP_FLOWS_PID" 2>/dev/null || fail "the flows client exited: $(tail -n 3 "$MODE_LOGS/flows.log" | tr '\n' ' ')"
        [ "$SECONDS" -lt "$deadline" ] || fail "not all $ECMP_FLOWS long-lived connections got an answer within 30s: $(awk '$2 == 0' "$FLOWS_STATUS" 2>/dev/null | wc -l) silent"
        sleep 0.5
    done
}

stop_flows() {
    [ -n "$ECMP_FLOWS_PID" ] || return 0
    stop_process "$ECMP_FLOWS_PID" || true
    ECMP_FLOWS_PID=""
}

# "PORT OKS" of the connections alive now.
alive_flows() { awk '$3 == "alive" { print $1, $2 }' "$FLOWS_STATUS"; }

# After an event: waits SETTLE seconds, then counts, among the connections alive in BEFORE ("PORT OKS" lines), those
# still alive that have had answers since; MOVED is the list of ports that were on the director the event took away.
# Sets SURVIVED, TOTAL, MOVED_SURVIVED, MOVED_TOTAL.
count_survivors() {
    local before=$1 moved=$2 settle=$3
    sleep "$settle"
    # Files, not process substitution: the VM's root has no /dev/fd.
    echo "$before" > "$MODE_LOGS/flows.before"
    cp "$FLOWS_STATUS" "$MODE_LOGS/flows.after"
    read -r SURVIVED TOTAL MOVED_SURVIVED MOVED_TOTAL <<<"$(awk -v moved="$moved" '
        BEGIN { n = split(moved, m, " "); for (i = 1; i <= n; i++) was[m[i]] = 1 }
        FNR == NR { oks[$1] = $2; next }
        ($1 in oks) { total++; ok = ($3 == "alive" && $2 > oks[$1]); survived += ok
                      if ($1 in was) { mtotal++; msurvived += ok } }
        END { printf "%d %d %d %d\n", survived, total, msurvived, mtotal }' "$MODE_LOGS/flows.before" "$MODE_LOGS/flows.after")"
}

run_ecmp_variant() {
    local variant=$1 node t0 before moved
    step "[$variant] lvsd on dir1, dir2, dir3 ($([ "$variant" = mh ] && echo "mh + mh-port, sloppy_tcp" || echo "rr, no sloppy_tcp, no sync daemon")), BIRD on each"
    render_director_configs "$variant"
    t0=$(now_us)
    for node in dir1 dir2 dir3; do start_director "$node"; done
    wait_next_hops "$t0" dir1 dir2 dir3
    log "  the router has three next hops for $ECMP_VIP ${TOOK}s after the start:"
    ip -n "$(namespace router)" -4 route show "$ECMP_VIP/32" | sed 's/^/    /'
    for node in dir1 dir2 dir3; do
        in_ns "$node" ip -4 -o addr show dev lvs0 | grep -q " $ECMP_VIP/32 " || fail "$node routes $ECMP_VIP but lvs0 lacks it"
    done

    step "[$variant] $ECMP_FLOWS long-lived connections from the client: every director carries some"
    start_flows "$variant"
    local -A ports=()
    for node in dir1 dir2 dir3; do
        ports[$node]=$(director_ports "$node" | tr '\n' ' ')
        local n
        n=$(wc -w <<<"${ports[$node]}")
        log "  $node: $n connections"
        [ "$n" -gt 0 ] || fail "$node carries none of the $ECMP_FLOWS connections: ECMP does not spread flows (router: $(next_hops | tr '\n' ' '))"
    done
    if [ "$variant" = mh ]; then
        local digest digests=""
        for node in dir1 dir2 dir3; do
            digest=$(in_ns "$node" "$DAEMON" status --json --socket "$RUNDIR/$node/lvsd.sock" | python3 -c '
import json, sys
status = json.load(sys.stdin)
def find(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "scheduling_digest": yield v
            else: yield from find(v)
    elif isinstance(o, list):
        for v in o: yield from find(v)
print(",".join(sorted(str(d) for d in find(status))))')
            digests+="$digest"$'\n'
        done
        [ "$(sort -u <<<"${digests%$'\n'}" | wc -l)" -eq 1 ] && [ -n "${digests//$'\n'/}" ] \
            || fail "the directors' scheduling digests differ or are missing: $(tr '\n' ' ' <<<"$digests")"
        log "  the three directors report the same scheduling digest ($(head -n 1 <<<"$digests"))"

        step "[$variant] dir3 loses its real servers (blackhole routes on dir3): only dir3's next hop goes"
        local lines quorum_lost
        lines=$(wc -l < "$MODE_LOGS/dir3.log")
        t0=$(now_us)
        in_ns dir3 ip -b - <<<"$(for node in rs1 rs2 rs3; do echo "route add blackhole ${ECMP_ADDR[$node]}/32"; done)"
        # The moment lvsd logs the lost quorum (polled), then the router's route without dir3.
        until tail -n "+$((lines + 1))" "$MODE_LOGS/dir3.log" | grep -q "Lost quorum"; do
            check_ecmp_processes
            [ "$(since "$t0" | cut -d. -f1)" -lt "$ECMP_WAIT_ROUTE" ] || fail "dir3's lvsd did not lose its quorum within ${ECMP_WAIT_ROUTE}s of its real servers becoming unreachable"
            sleep 0.1
        done
        quorum_lost=$(now_us)
        log "  dir3's lvsd lost its quorum $(since "$t0" "$quorum_lost")s after the blackholes (TCP_CHECK: delay_loop 1, connect_timeout 1, retry 0)"
        wait_next_hops "$quorum_lost" dir1 dir2
        log "  the router dropped dir3's next hop ${TOOK}s after the lost quorum (announce fall 1; goal: within fall + 1 s)"
        ECMP_SURVIVAL+=("withdrawal of dir3 after its quorum was lost: ${TOOK}s (announce fall 1 s)")
        # Generous for an emulated VM on a busy machine: the figure above is what the README quotes.
        awk -v t="$TOOK" 'BEGIN { exit !(t <= 8) }' || fail "dir3's next hop went ${TOOK}s after its lost quorum (more than fall 1 s + 7 s)"
        in_ns dir3 ip -b - <<<"$(for node in rs1 rs2 rs3; do echo "route del blackhole ${ECMP_ADDR[$node]}/32"; done)"
        t0=$(now_us)
        wait_next_hops "$t0" dir1 dir2 dir3
        log "  announced again ${TOOK}s after the real servers came back (announce rise 1)"
    fi

    step "[$variant] drain dir1 (lvsd drain): its next hop goes; the long-lived connections go on"
    before=$(alive_flows)
    moved=$(director_ports dir1 | tr '\n' ' ')
    t0=$(now_us)
    local rc=0
    in_ns dir1 "$DAEMON" drain --no-wait --socket "$RUNDIR/dir1/lvsd.sock" >>"$MODE_LOGS/dir1.log" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || fail "lvsd drain on dir1 exited $rc"
    wait_next_hops "$t0" dir2 dir3
    log "  dir1's next hop withdrawn ${TOOK}s after lvsd drain"
    count_survivors "$before" "$moved" "$ECMP_SETTLE"
    log "  connections alive and answered ${ECMP_SETTLE} s later: $SURVIVED of $TOTAL; of those ECMP moved off dir1: $MOVED_SURVIVED of $MOVED_TOTAL"
    ECMP_SURVIVAL+=("$variant drain dir1: $SURVIVED/$TOTAL survived (moved off dir1: $MOVED_SURVIVED/$MOVED_TOTAL)")
    if [ "$variant" = mh ]; then
        [ "$SURVIVED" -eq "$TOTAL" ] || fail "with mh + sloppy_tcp every connection must survive the drain: $SURVIVED of $TOTAL did ($(grep -c dead "$FLOWS_STATUS") dead: $(grep dead "$FLOWS_STATUS" | head -n 3 | tr '\n' ' '))"
    fi

    step "[$variant] dir2 dies (lvsd and BIRD killed with SIGKILL, its link down): the router drops it after BGP's hold time"
    before=$(alive_flows)
    moved=$(director_ports dir2 | tr '\n' ' ')
    t0=$(now_us)
    kill -KILL "${ECMP_PID[lvsd-dir2]}" "${ECMP_PID[bird-dir2]}" 2>/dev/null || true
    wait "${ECMP_PID[lvsd-dir2]}" "${ECMP_PID[bird-dir2]}" 2>/dev/null || true
    unset "ECMP_PID[lvsd-dir2]" "ECMP_PID[bird-dir2]"
    ip -n "$(namespace switch)" link set lan-dir2 down
    wait_next_hops "$t0" dir3
    log "  dir2's next hop gone ${TOOK}s after the kill (BGP hold time 3 s)"
    count_survivors "$before" "$moved" "$ECMP_SETTLE"
    log "  connections alive and answered ${ECMP_SETTLE} s later: $SURVIVED of $TOTAL; of those ECMP moved off dir2: $MOVED_SURVIVED of $MOVED_TOTAL"
    ECMP_SURVIVAL+=("$variant dir2 killed: $SURVIVED/$TOTAL survived (moved off dir2: $MOVED_SURVIVED/$MOVED_TOTAL)")
    if [ "$variant" = mh ]; then
        [ "$SURVIVED" -eq "$TOTAL" ] || fail "with mh + sloppy_tcp every connection alive before dir2's death must survive it: $SURVIVED of $TOTAL did"
    fi

    stop_flows
    # Back to three healthy directors for the next variant: dir2's link up, everything stopped, lvs0 withdrawn.
    ip -n "$(namespace switch)" link set lan-dir2 up
    for node in dir1 dir2 dir3; do stop_director "$node"; done
    for node in dir1 dir2 dir3; do
        in_ns "$node" ip -4 -o addr show dev lvs0 2>/dev/null | grep -q " $ECMP_VIP/" \
            && in_ns "$node" ip addr flush dev lvs0
        in_ns "$node" "$CTL" -C 2>/dev/null || true
        in_ns "$node" sh -c 'cat /proc/net/ip_vs_conn | wc -l' >/dev/null
    done
    t0=$(now_us)
    wait_next_hops "$t0"
}

run_ecmp() {
    [ "$LAB_DIRECTOR" = lvsd ] || fail "the ecmp mode needs lvsd (keepalived has no announce): run it with LAB_DIRECTOR=lvsd"
    local tool
    case "$LAB_ROUTER" in bird) tool=bird ;; frr) tool=/usr/lib/frr/bgpd ;; *) fail "LAB_ROUTER must be bird or frr" ;; esac
    for tool in "$tool" bird; do command -v "$tool" >/dev/null || fail "$tool not installed (scripts/setup.sh installs bird2 and frr)"; done

    step "build namespaces: $(mode_nodes | sed 's/ /, /g')"
    remove_namespaces
    build_topology_ecmp
    create_topology
    declare -gA HA_ADDR=([rs1]=${ECMP_ADDR[rs1]} [rs2]=${ECMP_ADDR[rs2]} [rs3]=${ECMP_ADDR[rs3]})

    step "real servers: dr/realserver.sh start on rs1, rs2, rs3 (VIP $ECMP_VIP on lo); nginx on each"
    local node
    for node in rs1 rs2 rs3; do
        in_ns "$node" env VIP="$ECMP_VIP" IFACE=eth0 "$EXAMPLES/dr/realserver.sh" start >/dev/null \
            || fail "realserver.sh start failed on $node"
        start_nginx "$node"
    done
    for node in rs1 rs2 rs3; do wait_nginx "$node"; done

    step "router: $LAB_ROUTER, BGP with each director, ECMP by L4 hash"
    start_router

    run_ecmp_variant mh
    run_ecmp_variant rr

    step "survival per scenario (mh + sloppy_tcp asserted at 100%; rr without sync shown as the contrast)"
    local line
    for line in "${ECMP_SURVIVAL[@]}"; do log "  $line"; done
}

cleanup_ecmp() {
    local name
    stop_flows
    for name in "${!ECMP_PID[@]}"; do stop_process "${ECMP_PID[$name]}" >/dev/null 2>&1; done
    for name in "${!NGINX_PID[@]}"; do stop_process "${NGINX_PID[$name]}" >/dev/null 2>&1; done
}
