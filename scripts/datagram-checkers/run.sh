#!/usr/bin/env bash
# UDP_CHECK, DNS_CHECK and PING_CHECK side by side in the VM: the same keepalived.conf run by lvsd (raw ICMP
# sockets), lvsd (ping sockets allowed) and keepalived 2.2.7 against python3 UDP echo/silent servers, dnsmasq, an
# unanswered port and a dummy device that drops ICMP; fails unless the three IPVS tables agree. Needs a built lvsd.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash scripts/vm.sh --timeout 600 -- bash scripts/datagram-checkers/inner.sh
