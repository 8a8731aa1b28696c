#!/usr/bin/env bash
# LVS-TUN real-server set-up: the replacement for a TUN rs.sh. Run it as root on every real server.
#
#   realserver.sh start    bring up the IPIP device tunl0 holding the VIP, relax reverse-path filtering on it,
#                          and keep the VIP out of ARP
#   realserver.sh stop     remove the VIP from tunl0 and restore the settings saved by start
#   realserver.sh status   show the VIP on tunl0 and the settings
#
# Why: the director sends each client packet to this host wrapped in IPIP (outer destination: this host's own
# address). The kernel unwraps it on tunl0, the catch-all IPIP device, and delivers it locally only if the VIP is
# a local address; the reply goes straight to the client from the VIP.
#   rp_filter      the unwrapped packet arrives on tunl0 from the client's address, but the route back to the client
#                  leaves by another interface: strict reverse-path filtering (1) would drop it. tunl0 gets 0 and
#                  "all" is lowered from strict (1) to loose (2) if needed (the kernel applies the larger of the two).
#   arp_ignore=1, arp_announce=2   as for DR: never claim the VIP on a real network, in case the real servers
#                  share a segment with the clients or the director.
#
# Settings (environment variables): VIP=10.30.1.100  IFACE=eth0 (interface facing the director)
set -euo pipefail

VIP=${VIP:-10.30.1.100}
IFACE=${IFACE:-eth0}
TUNNEL=tunl0
STATE_DIR=${STATE_DIR:-/run/lvs-examples}
STATE_FILE=$STATE_DIR/tun-realserver.$(stat -L -c %i /proc/self/ns/net).state

die() { echo "realserver.sh: $*" >&2; exit 1; }

conf_path() { echo "/proc/sys/net/ipv4/conf/$1/$2"; }

settings() {
    conf_path all arp_ignore; conf_path all arp_announce; conf_path all rp_filter
    conf_path "$IFACE" arp_ignore; conf_path "$IFACE" arp_announce
    conf_path "$TUNNEL" rp_filter
}

save_settings() {
    [ -e "$STATE_FILE" ] && return 0    # a second start must not save the values the first one set
    mkdir -p "$STATE_DIR"
    local path
    for path in $(settings); do echo "$path $(cat "$path")"; done > "$STATE_FILE"
}

restore_settings() {
    [ -e "$STATE_FILE" ] || return 0
    local path value
    while read -r path value; do
        [ -e "$path" ] && echo "$value" > "$path"
    done < "$STATE_FILE"
    rm -f "$STATE_FILE"
}

bring_up_tunnel() {
    # tunl0 appears when the ipip module is loaded (or built in).
    [ -d /sys/class/net/$TUNNEL ] || modprobe ipip 2>/dev/null || true
    [ -d /sys/class/net/$TUNNEL ] || die "no $TUNNEL device: this kernel lacks IPIP support (modprobe ipip)"
    ip link set "$TUNNEL" up || die "cannot bring up $TUNNEL"
}

apply_settings() {
    [ -d "/proc/sys/net/ipv4/conf/$IFACE" ] || die "no interface $IFACE"
    local iface
    for iface in all "$IFACE"; do
        echo 1 > "$(conf_path "$iface" arp_ignore)" || die "cannot set arp_ignore on $iface"
        echo 2 > "$(conf_path "$iface" arp_announce)" || die "cannot set arp_announce on $iface"
    done
    echo 0 > "$(conf_path "$TUNNEL" rp_filter)" || die "cannot relax rp_filter on $TUNNEL"
    if [ "$(cat "$(conf_path all rp_filter)")" = 1 ]; then
        echo 2 > "$(conf_path all rp_filter)" || die "cannot set rp_filter on all to loose"
    fi
}

case "${1:-}" in
    start)
        bring_up_tunnel
        save_settings
        apply_settings
        ip addr replace "$VIP/32" dev "$TUNNEL" || die "cannot add VIP $VIP/32 to $TUNNEL"
        ;;
    stop)
        if [ -d /sys/class/net/$TUNNEL ] && ip -o addr show dev "$TUNNEL" | grep -qF " $VIP/32 "; then
            ip addr del "$VIP/32" dev "$TUNNEL" || die "cannot remove VIP $VIP/32 from $TUNNEL"
        fi
        restore_settings
        ;;
    status)
        ip -o addr show dev "$TUNNEL" 2>/dev/null | grep -F " $VIP/32 " || echo "VIP $VIP not on $TUNNEL"
        for path in $(settings); do
            if [ -e "$path" ]; then echo "$path = $(cat "$path")"; fi
        done
        ;;
    *) echo "usage: realserver.sh start|stop|status" >&2; exit 2 ;;
esac
