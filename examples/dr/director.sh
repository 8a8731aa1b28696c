#!/usr/bin/env bash
# LVS-DR director set-up: the replacement for dr.sh. Run it as root on the director.
#
#   director.sh start     VIP on the director's interface, then the virtual service and its real servers
#   director.sh network   only the VIP (when lvsd/keepalived programs the table from keepalived.conf)
#   director.sh stop      remove the virtual service and the VIP
#   director.sh status    show the virtual service (lvsctl -Ln -t VIP:PORT)
#
# Idempotent: start converges the service to the settings below (edits in place with -E/-e, so established
# connections survive; real servers no longer listed are deleted); running it twice changes nothing.
# lvsd started afterwards with the matching keepalived.conf adopts this table instead of re-creating it.
#
# Settings (environment variables):
#   VIP=10.10.0.100  VPORT=80  IFACE=eth0 (interface facing the clients and real servers)
#   RIPS="10.10.0.11 10.10.0.12"  WEIGHT=1  SCHED=rr
#   LVSCTL=lvsctl    (any ipvsadm-compatible tool: LVSCTL=ipvsadm works the same)
set -euo pipefail

VIP=${VIP:-10.10.0.100}
VPORT=${VPORT:-80}
IFACE=${IFACE:-eth0}
RIPS=${RIPS:-10.10.0.11 10.10.0.12}
WEIGHT=${WEIGHT:-1}
SCHED=${SCHED:-rr}
LVSCTL=${LVSCTL:-lvsctl}

die() { echo "director.sh: $*" >&2; exit 1; }

add_vip() {
    # /32: the VIP is an extra address on the segment; the director answers ARP for it, the real servers don't.
    ip addr replace "$VIP/32" dev "$IFACE" || die "cannot add VIP $VIP/32 to $IFACE"
}

remove_vip() {
    if ip -o addr show dev "$IFACE" | grep -qF " $VIP/32 "; then
        ip addr del "$VIP/32" dev "$IFACE" || die "cannot remove VIP $VIP/32 from $IFACE"
    fi
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
    local current rip dest
    current=$(listed_real_servers) || die "cannot list service $VIP:$VPORT"
    for rip in $RIPS; do
        # -g: direct routing ("Route"). The real server's port must equal the virtual port.
        if grep -qxF "$rip:$VPORT" <<<"$current"; then
            "$LVSCTL" -e -t "$VIP:$VPORT" -r "$rip:$VPORT" -g -w "$WEIGHT" || die "cannot edit real server $rip"
        else
            "$LVSCTL" -a -t "$VIP:$VPORT" -r "$rip:$VPORT" -g -w "$WEIGHT" || die "cannot add real server $rip"
        fi
    done
    for dest in $current; do
        case " $RIPS " in
            *" ${dest%:*} "*) ;;
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
    start) add_vip; program_table ;;
    network) add_vip ;;
    stop) remove_table; remove_vip ;;
    status) "$LVSCTL" -Ln -t "$VIP:$VPORT" ;;
    *) echo "usage: director.sh start|network|stop|status" >&2; exit 2 ;;
esac
