#!/usr/bin/env bash
# LVS-NAT real-server set-up: the replacement for a NAT rs.sh. Run it as root on every real server.
#
#   realserver.sh start    make the director's private address this host's default gateway
#   realserver.sh stop     restore the default route start replaced
#   realserver.sh status   show the default route
#
# Why: the director rewrites the client's packets to this host's own address (no VIP here); the replies must go
# back through the director so that it can rewrite their source back to the VIP. A reply that bypasses the
# director reaches the client from an address it never talked to and is dropped.
#
# Settings (environment variables): GATEWAY=10.20.2.1 (the director's address on this network)
set -euo pipefail

GATEWAY=${GATEWAY:-10.20.2.1}
STATE_DIR=${STATE_DIR:-/run/lvs-examples}
STATE_FILE=$STATE_DIR/nat-realserver.$(stat -L -c %i /proc/self/ns/net).state

die() { echo "realserver.sh: $*" >&2; exit 1; }

case "${1:-}" in
    start)
        if [ ! -e "$STATE_FILE" ]; then
            mkdir -p "$STATE_DIR"
            ip -4 route show default > "$STATE_FILE"    # may be empty: there was no default route
        fi
        ip route replace default via "$GATEWAY" || die "cannot route via the director $GATEWAY"
        ;;
    stop)
        [ -e "$STATE_FILE" ] || exit 0
        previous=$(head -n 1 "$STATE_FILE")
        if [ -n "$previous" ]; then
            # shellcheck disable=SC2086 # the saved route is a list of words for ip route
            ip route replace $previous || die "cannot restore the default route: $previous"
        else
            ip route del default 2>/dev/null || true
        fi
        rm -f "$STATE_FILE"
        ;;
    status) ip -4 route show default ;;
    *) echo "usage: realserver.sh start|stop|status" >&2; exit 2 ;;
esac
