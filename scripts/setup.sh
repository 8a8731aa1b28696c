#!/usr/bin/env bash
# Installs what building and testing this project needs (Debian packages), idempotently. Runs as root.
set -euo pipefail
pkgs=(
    qemu-system-x86 linux-image-amd64 busybox-static kmod cpio   # the real-kernel test VM
    libnl-genl-3-dev libnl-3-dev pkg-config                       # IPVSKit's transport
    libnl-route-3-dev                                             # VRRPNetwork: addresses, routes, links
    libpcre2-dev                                                  # HTTP_GET/SSL_GET regex (PCRE2, as keepalived)
    ipvsadm keepalived                                            # reference behaviour
    iproute2 curl openssl python3 procps bc                       # lab, end-to-end tests, benchmarks
    python3-aiosmtpd                                              # SMTP alerts' and SMTP_CHECK's mail servers
    dnsmasq-base                                                  # DNS_CHECK: the kernel test's DNS server
    nginx                                                         # the ha lab's web servers
    bird2 frr                                                     # the ecmp lab: the router (BIRD or FRR) and the directors' BIRD
    dpkg-dev binutils file lintian man-db bash-completion systemd # the Debian package: build, check, test
)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then echo "setup: must run as root to install packages" >&2; exit 1; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# keepalived's package starts a service on install on some systems; the tests start their own.
systemctl disable --now keepalived bird frr >/dev/null 2>&1 || true
command -v swift >/dev/null || { echo "setup: swift not found on PATH (expected /opt/swift/usr/bin)" >&2; exit 1; }
echo "setup: ok"
