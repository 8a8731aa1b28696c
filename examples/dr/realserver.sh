#!/usr/bin/env bash
# LVS-DR real-server set-up: the replacement for rs.sh. Run it as root on every real server.
#
#   realserver.sh start    stop answering ARP for addresses not on the receiving interface, then put the VIP on lo
#   realserver.sh stop     remove the VIP from lo and restore the ARP settings saved by start
#   realserver.sh status   show the VIP on lo and the ARP settings
#
# Why: the director forwards packets for the VIP to this host unchanged (only the MAC address is rewritten), so
# this host must accept the VIP as a local address (on lo, /32) without ever claiming it on the segment:
#   arp_ignore=1    answer ARP only for addresses configured on the interface the request arrived on
#   arp_announce=2  never use the VIP as the source of our own ARP requests
# The service (the web server) must listen on the VIP or on 0.0.0.0; its replies go straight to the client.
#
# Settings (environment variables): VIP=10.10.0.100  IFACE=eth0 (interface facing the director)
set -euo pipefail

VIP=${VIP:-10.10.0.100}
IFACE=${IFACE:-eth0}
# One state file per network namespace, so that real servers sharing a file system (containers, the lab) don't mix.
STATE_DIR=${STATE_DIR:-/run/lvs-examples}
STATE_FILE=$STATE_DIR/dr-realserver.$(stat -L -c %i /proc/self/ns/net).state

die() { echo "realserver.sh: $*" >&2; exit 1; }

conf_path() { echo "/proc/sys/net/ipv4/conf/$1/$2"; }

arp_settings() {
    local iface key
    for iface in all "$IFACE"; do
        for key in arp_ignore arp_announce; do conf_path "$iface" "$key"; done
    done
}

save_arp_settings() {
    [ -e "$STATE_FILE" ] && return 0    # a second start must not save the values the first one set
    mkdir -p "$STATE_DIR"
    local path
    for path in $(arp_settings); do echo "$path $(cat "$path")"; done > "$STATE_FILE"
}

set_arp_settings() {
    [ -d "/proc/sys/net/ipv4/conf/$IFACE" ] || die "no interface $IFACE"
    local iface
    for iface in all "$IFACE"; do
        echo 1 > "$(conf_path "$iface" arp_ignore)" || die "cannot set arp_ignore on $iface"
        echo 2 > "$(conf_path "$iface" arp_announce)" || die "cannot set arp_announce on $iface"
    done
}

restore_arp_settings() {
    [ -e "$STATE_FILE" ] || return 0
    local path value
    while read -r path value; do
        [ -e "$path" ] && echo "$value" > "$path"
    done < "$STATE_FILE"
    rm -f "$STATE_FILE"
}

case "${1:-}" in
    start)
        save_arp_settings
        set_arp_settings                    # before the VIP exists, so it is never announced
        ip link set lo up
        ip addr replace "$VIP/32" dev lo || die "cannot add VIP $VIP/32 to lo"
        ;;
    stop)
        if ip -o addr show dev lo | grep -qF " $VIP/32 "; then
            ip addr del "$VIP/32" dev lo || die "cannot remove VIP $VIP/32 from lo"
        fi
        restore_arp_settings
        ;;
    status)
        ip -o addr show dev lo | grep -F " $VIP/32 " || echo "VIP $VIP not on lo"
        for path in $(arp_settings); do echo "$path = $(cat "$path")"; done
        ;;
    *) echo "usage: realserver.sh start|stop|status" >&2; exit 2 ;;
esac
