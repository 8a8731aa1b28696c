#!/usr/bin/env bash
# LVS-NAT director set-up: the replacement for a NAT dr.sh. Run it as root on the director.
#
#   director.sh start     VIP on the public interface, IP forwarding on, then the virtual service and its real servers
#   director.sh network   only the VIP and IP forwarding (when lvsd/keepalived programs the table)
#   director.sh stop      remove the virtual service and the VIP, restore IP forwarding as start found it
#   director.sh status    show the virtual service (lvsctl -Ln -t VIP:PORT)
#
# The real servers sit on a private network behind the director and use it as their default gateway: their
# replies must come back through the director, which rewrites the source from the real server to the VIP.
# Idempotent: start converges the service to the settings below (edits in place with -E/-e, so established
# connections survive; real servers no longer listed are deleted); running it twice changes nothing.
#
# Settings (environment variables):
#   VIP=10.20.1.100  VPORT=80  IFACE=eth0 (public interface, facing the clients)
#   RIPS="10.20.2.11 10.20.2.12"  RPORT=80 (NAT may map to another port)  WEIGHT=1  SCHED=wrr
#   LVSCTL=lvsctl    (any ipvsadm-compatible tool: LVSCTL=ipvsadm works the same)
set -euo pipefail

VIP=${VIP:-10.20.1.100}
VPORT=${VPORT:-80}
IFACE=${IFACE:-eth0}
RIPS=${RIPS:-10.20.2.11 10.20.2.12}
RPORT=${RPORT:-80}
WEIGHT=${WEIGHT:-1}
SCHED=${SCHED:-wrr}
LVSCTL=${LVSCTL:-lvsctl}
STATE_DIR=${STATE_DIR:-/run/lvs-examples}
STATE_FILE=$STATE_DIR/nat-director.$(stat -L -c %i /proc/self/ns/net).state
FORWARDING=/proc/sys/net/ipv4/ip_forward

die() { echo "director.sh: $*" >&2; exit 1; }

add_vip() {
    ip addr replace "$VIP/32" dev "$IFACE" || die "cannot add VIP $VIP/32 to $IFACE"
}

remove_vip() {
    if ip -o addr show dev "$IFACE" | grep -qF " $VIP/32 "; then
        ip addr del "$VIP/32" dev "$IFACE" || die "cannot remove VIP $VIP/32 from $IFACE"
    fi
}

enable_forwarding() {
    if [ ! -e "$STATE_FILE" ]; then
        mkdir -p "$STATE_DIR"
        cat "$FORWARDING" > "$STATE_FILE"
    fi
    echo 1 > "$FORWARDING" || die "cannot enable IP forwarding"
}

restore_forwarding() {
    [ -e "$STATE_FILE" ] || return 0
    cat "$STATE_FILE" > "$FORWARDING"
    rm -f "$STATE_FILE"
}

service_exists() { "$LVSCTL" -Ln -t "$VIP:$VPORT" >/dev/null 2>&1; }

# The real servers of the service as ADDRESS:PORT lines, read from the -Ln listing.
listed_real_servers() {
    "$LVSCTL" -Ln -t "$VIP:$VPORT" | awk '$1 == "->" && $2 != "RemoteAddress:Port" { print $2 }'
}

program_table() {
    if service_exists; then
        "$LVSCTL" -E -t "$VIP:$VPORT" -s "$SCHED" || die "cannot edit service $VIP:$VPORT"
    else
        "$LVSCTL" -A -t "$VIP:$VPORT" -s "$SCHED" || die "cannot add service $VIP:$VPORT"
    fi
    local current rip dest wanted=""
    current=$(listed_real_servers) || die "cannot list service $VIP:$VPORT"
    for rip in $RIPS; do
        wanted="$wanted $rip:$RPORT"
        # -m: masquerading (NAT).
        if grep -qxF "$rip:$RPORT" <<<"$current"; then
            "$LVSCTL" -e -t "$VIP:$VPORT" -r "$rip:$RPORT" -m -w "$WEIGHT" || die "cannot edit real server $rip:$RPORT"
        else
            "$LVSCTL" -a -t "$VIP:$VPORT" -r "$rip:$RPORT" -m -w "$WEIGHT" || die "cannot add real server $rip:$RPORT"
        fi
    done
    for dest in $current; do
        case "$wanted " in
            *" $dest "*) ;;
            *) "$LVSCTL" -d -t "$VIP:$VPORT" -r "$dest" || die "cannot delete real server $dest" ;;
        esac
    done
}

remove_table() {
    if service_exists; then
        "$LVSCTL" -D -t "$VIP:$VPORT" || die "cannot delete service $VIP:$VPORT"
    fi
}

case "${1:-}" in
    start) add_vip; enable_forwarding; program_table ;;
    network) add_vip; enable_forwarding ;;
    stop) remove_table; remove_vip; restore_forwarding ;;
    status) "$LVSCTL" -Ln -t "$VIP:$VPORT" ;;
    *) echo "usage: director.sh start|network|stop|status" >&2; exit 2 ;;
esac
