#!/usr/bin/env bash
# Tests the Debian package: builds it (scripts/package.sh, which fails on any lintian error), checks its contents,
# man pages and bash completion on the host, then boots the real-kernel VM and, inside it, on a throw-away Debian
# root (the VM's root under an overlayfs with a tmpfs upper layer, chrooted into):
#   dpkg -i; lvsd --version / lvsctl version agree with the source; lvsctl -Ln, -A, -a against the real kernel
#   (compared with ipvsadm's listing); lvsd -t on a good and a bad keepalived.conf; lvsd run from /usr/sbin
#   programs the kernel table and removes it on SIGTERM; the unit is enabled by the maintainer scripts; dpkg -r
#   leaves only the conffile /etc/default/lvsd and the unit's enablement state (overlay upper layer inspected);
#   dpkg --purge leaves nothing; a first install next to an enabled keepalived.service neither enables lvsd.
#
#   scripts/package-test.sh [--deb FILE]
#
# Without --deb the package is built with scripts/package.sh (LVSD_BIN / LVSCTL_BIN are passed through, so
# prebuilt release binaries avoid a rebuild). Exits non-zero on the first failed check.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
ok() { echo "package-test: ok: $*"; }

version=$(sed -n 's/^ *public static let string = "\([^"]*\)".*/\1/p' Sources/IPVSKit/Version/ProductVersion.swift)
[ -n "$version" ] || fail "cannot read the version from Sources/IPVSKit/Version/ProductVersion.swift"

# ===================================================================== inside the VM
if [ "${1:-}" = --in-vm ]; then
    deb=$2
    [ -f "$deb" ] || fail "no package at $deb"
    [ "$(id -u)" = 0 ] || fail "the in-VM part must run as root"
    [ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd      # the VM's devtmpfs has none; bash's <(...) needs it
    base=$(mktemp -d /tmp/pkgroot.XXXXXX)     # /tmp is a tmpfs in the VM
    mkdir -p "$base/upper" "$base/work" "$base/root"
    modprobe overlay 2>/dev/null || true
    mount -t overlay overlay -o "lowerdir=/,upperdir=$base/upper,workdir=$base/work" "$base/root" ||
        fail "cannot mount an overlay over the VM's root"
    r=$base/root
    mount -t proc proc "$r/proc"
    mount -t sysfs sys "$r/sys"
    mount --rbind /dev "$r/dev"
    mount -t tmpfs tmpfs "$r/run"
    mount -t tmpfs tmpfs "$r/tmp"
    cleanup() { umount -R "$r" 2>/dev/null || umount -l "$r" 2>/dev/null || true; }
    trap cleanup EXIT
    cp "$deb" "$r/tmp/lvs-director.deb"
    in_root() { chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"; }
    # What changed on the throw-away root, outside dpkg's own records and logs: files, links and whiteouts
    # (deletions) of the upper layer, as "TYPE PATH" lines.
    changes() {
        (cd "$base/upper" && find . ! -type d \
            ! -path './var/lib/dpkg/*' ! -path './var/log/*' ! -path './var/cache/*' ! -path './var/lib/man-db/*' \
            ! -path './tmp/*' ! -path './run/*' ! -path './root/*' -printf '%y %p\n' | sed 's| \./| /|' | sort)
    }
    # man-db's trigger re-indexes every manual page on each dpkg run: minutes under TCG, and not this package's
    # business (man-db skips it without this flag file).
    rm -f "$r/var/lib/man-db/auto-update"
    # keepalived.service is disabled, as scripts/setup.sh leaves it (a root that had it enabled is the last case).
    in_root systemctl disable keepalived.service >/dev/null 2>&1 || true
    before=$(changes)

    t0=$(date +%s)
    out=$(in_root dpkg -i /tmp/lvs-director.deb 2>&1) || { echo "$out"; fail "dpkg -i failed"; }
    ok "dpkg -i in $(( $(date +%s) - t0 )) s"
    status=$(in_root dpkg-query -W -f='${Status} ${Version}' lvs-director)
    [ "$status" = "install ok installed $version" ] || fail "dpkg-query says '$status'"
    ok "installed: $status"

    got=$(in_root /usr/sbin/lvsd --version)
    [ "$got" = "lvsd $version (keepalived.conf compatible)" ] || fail "lvsd --version says '$got'"
    got=$(in_root /usr/sbin/lvsctl version)
    [ "$got" = "lvsctl $version (ipvsadm v1.31 compatible)" ] || fail "lvsctl version says '$got'"
    ok "versions agree: $version"

    # lvsctl against the real kernel, next to ipvsadm.
    in_root /usr/sbin/lvsctl -C
    listing=$(in_root /usr/sbin/lvsctl -Ln)
    [[ $listing == "IP Virtual Server version "*"Prot LocalAddress:Port Scheduler Flags"* ]] ||
        fail "lvsctl -Ln printed: $listing"
    in_root /usr/sbin/lvsctl -A -t 10.77.0.1:80 -s wrr
    in_root /usr/sbin/lvsctl -a -t 10.77.0.1:80 -r 10.77.0.11:8080 -m -w 3
    mine=$(in_root /usr/sbin/lvsctl -Ln); theirs=$(in_root ipvsadm -Ln)
    [ "$mine" = "$theirs" ] || fail "lvsctl -Ln and ipvsadm -Ln differ: <$mine> <$theirs>"
    [[ $mine == *"TCP  10.77.0.1:80 wrr"*"-> 10.77.0.11:8080"*"Masq    3"* ]] || fail "the service is not listed: $mine"
    in_root /usr/sbin/lvsctl -C
    [ -z "$(in_root ipvsadm -Sn)" ] || fail "lvsctl -C left a table"
    ok "lvsctl -Ln / -A / -a / -C against the kernel (listing identical to ipvsadm's)"

    # lvsd -t: a good configuration and a bad one. The good one is keepalived's default path when this root has
    # no keepalived.conf of its own (it is removed afterwards), else a file given with -f.
    conf=/etc/keepalived/keepalived.conf
    made_dir=no
    conf_args=()      # lvsd's default file is keepalived's: no -f
    if [ -e "$r$conf" ]; then
        conf=/tmp/package-test.conf; conf_args=(-f "$conf")
    elif [ ! -d "$r/etc/keepalived" ]; then
        mkdir "$r/etc/keepalived"; made_dir=yes
    fi
    cat > "$r$conf" <<'CONF'
global_defs {
    router_id package_test
}
virtual_server 10.77.0.2 80 {
    protocol TCP
    lvs_sched rr
    lvs_method NAT
    delay_loop 60
    real_server 10.77.0.21 8080 {
        weight 2
        TCP_CHECK {
            connect_timeout 3
        }
    }
}
CONF
    out=$(in_root /usr/sbin/lvsd -t "${conf_args[@]}" 2>&1) || fail "lvsd -t refused the good configuration: $out"
    printf 'virtual_server 10.77.0.3 80 {\n    lvs_sched nosuch\n}\n' > "$r/tmp/bad.conf"
    set +e; out=$(in_root /usr/sbin/lvsd -t -f /tmp/bad.conf 2>&1); rc=$?; set -e
    [ $rc = 1 ] && [[ $out == *"bad.conf:2: error: "* ]] || fail "lvsd -t on a bad configuration: exit $rc, '$out'"
    ok "lvsd -t: a good $conf passes; a bad file exits 1 ('$(grep -m1 ': error: ' <<<"$out")')"

    # lvsd from /usr/sbin programs the kernel and removes its service on SIGTERM.
    chroot "$r" /usr/sbin/lvsd -n -l -G "${conf_args[@]}" > "$base/lvsd.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 150); do
        [[ $(in_root /usr/sbin/lvsctl -Ln) == *"10.77.0.21:8080"* ]] && break
        kill -0 $pid 2>/dev/null || { cat "$base/lvsd.log"; fail "lvsd exited"; }
        sleep 0.2
    done
    table=$(in_root ipvsadm -Ln)
    [[ $table == *"TCP  10.77.0.2:80 rr"*"-> 10.77.0.21:8080"*"Masq    2"* ]] ||
        { cat "$base/lvsd.log"; fail "lvsd did not program the table: $table"; }
    kill -TERM $pid
    wait $pid || { cat "$base/lvsd.log"; fail "lvsd exited non-zero after SIGTERM"; }
    [ -z "$(in_root ipvsadm -Sn)" ] || fail "lvsd left its service in the kernel after SIGTERM"
    ok "lvsd -n from /usr/sbin programmed the table from $conf and removed it on SIGTERM"
    rm -f "$r$conf"
    [ $made_dir = no ] || rmdir "$r/etc/keepalived"

    # What the maintainer scripts did: the unit enabled (no systemd runs here, so nothing started).
    [ "$(readlink "$r/etc/systemd/system/multi-user.target.wants/lvsd.service")" = /lib/systemd/system/lvsd.service ] ||
        fail "lvsd.service is not enabled after the first install"
    in_root systemctl --quiet is-enabled lvsd.service || fail "systemctl is-enabled lvsd.service: no"
    grep -qx '/etc/default/lvsd' <(in_root dpkg-query -W -f='${Conffiles}\n' lvs-director | awk '{print $1}') ||
        fail "/etc/default/lvsd is not a conffile"
    if in_root systemd-analyze --help >/dev/null 2>&1; then
        out=$(in_root systemd-analyze verify /lib/systemd/system/lvsd.service 2>&1) ||
            fail "systemd-analyze verify lvsd.service: $out"
        ok "systemd-analyze verify lvsd.service: clean${out:+ ($out)}"
    fi
    ok "lvsd.service enabled, /etc/default/lvsd a conffile"

    # dpkg -r: only the conffile and the unit's enablement state stay (a reinstall restores both).
    mapfile -t files < <(in_root dpkg -L lvs-director)
    [ ${#files[@]} -gt 10 ] || fail "dpkg -L lists only ${#files[@]} paths"
    in_root dpkg -r lvs-director >/dev/null || fail "dpkg -r failed"
    status=$(in_root dpkg-query -W -f='${Status}' lvs-director)
    [ "$status" = "deinstall ok config-files" ] || fail "after dpkg -r the status is '$status'"
    left=()
    for f in "${files[@]}"; do
        [ -e "$r$f" ] && [ ! -d "$r$f" ] && left+=("$f")
    done
    [ "${left[*]}" = /etc/default/lvsd ] || fail "after dpkg -r these package files remain: ${left[*]}"
    expected_after_remove=$(printf '%s\n' "$before" \
        'f /etc/default/lvsd' \
        'l /etc/systemd/system/multi-user.target.wants/lvsd.service' \
        'f /var/lib/systemd/deb-systemd-helper-enabled/lvsd.service.dsh-also' \
        'f /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/lvsd.service' | sed '/^$/d' | sort)
    got=$(changes)
    [ "$got" = "$expected_after_remove" ] ||
        fail "after dpkg -r the root differs from before the install by more than the conffile and the unit's state:
$(diff <(echo "$expected_after_remove") <(echo "$got") || true)"
    ok "dpkg -r: status config-files; of ${#files[@]} paths only /etc/default/lvsd (+ the unit's enablement state) remain"

    in_root dpkg --purge lvs-director >/dev/null || fail "dpkg --purge failed"
    status=$(in_root dpkg-query -W -f='${Status}' lvs-director 2>/dev/null || true)
    [ -z "$status" ] || [ "$status" = "unknown ok not-installed" ] || fail "after dpkg --purge the status is '$status'"
    got=$(changes)
    [ "$got" = "$before" ] || fail "after dpkg --purge the root still differs from before the install:
$(diff <(echo "$before") <(echo "$got") || true)"
    ok "dpkg --purge: nothing left"

    # A first install on a root where keepalived.service is enabled neither enables nor starts lvsd.
    in_root systemctl enable keepalived.service >/dev/null 2>&1 || fail "cannot enable keepalived.service"
    out=$(in_root dpkg -i /tmp/lvs-director.deb 2>&1) || { echo "$out"; fail "dpkg -i (keepalived enabled) failed"; }
    [[ $out == *"keepalived.service is enabled or running: lvsd.service was neither enabled nor started"* ]] ||
        fail "no notice that lvsd was held back: $out"
    [ ! -e "$r/etc/systemd/system/multi-user.target.wants/lvsd.service" ] ||
        fail "lvsd.service was enabled next to an enabled keepalived.service"
    in_root dpkg --purge lvs-director >/dev/null || fail "dpkg --purge failed"
    ok "first install with keepalived.service enabled: lvsd.service left disabled, with a notice"
    echo "package-test: VM part passed"
    exit 0
fi

# ===================================================================== on the host
deb=""
while [ $# -gt 0 ]; do
    case "$1" in
        --deb) [ $# -ge 2 ] || fail "--deb needs a file"; deb=$2; shift 2 ;;
        *) fail "unknown argument '$1' (usage: scripts/package-test.sh [--deb FILE])" ;;
    esac
done
started=$(date +%s)
# The VM sees the checkout (read-write) but not the host's /tmp: the package under test lives in dist/.
mkdir -p dist
out_dir=$(mktemp -d "$root/dist/.package-test.XXXXXX")
trap 'rm -rf "$out_dir"' EXIT
if [ -z "$deb" ]; then
    bash scripts/package.sh --out "$out_dir"
    deb=$out_dir/lvs-director_${version}_amd64.deb
    [ -f "$deb" ] || fail "scripts/package.sh made no $deb"
else
    [ -f "$deb" ] || fail "no package at $deb"
    cp "$deb" "$out_dir/"
    deb=$out_dir/$(basename "$deb")
fi

# The contents: exactly these files, owned by root.
contents=$(dpkg-deb -c "$deb")
for path in ./usr/sbin/lvsd ./usr/sbin/lvsctl ./lib/systemd/system/lvsd.service ./etc/default/lvsd \
    ./usr/share/man/man8/lvsd.8.gz ./usr/share/man/man8/lvsctl.8.gz ./usr/share/bash-completion/completions/lvsctl \
    ./usr/share/doc/lvs-director/copyright ./usr/share/doc/lvs-director/changelog.gz; do
    grep -q " $path\$" <<<"$contents" || fail "the package lacks $path"
done
! awk '{print $2}' <<<"$contents" | grep -v '^root/root$' | grep -q . || fail "files not owned by root/root in the package"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "the package's version is $(dpkg-deb -f "$deb" Version), not $version"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libnl-3-200 libnl-genl-3-200 libnl-route-3-200 libpcre2-8-0 libc6; do
    [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
ok "contents, version $version, Depends: $depends"

x=$(mktemp -d /tmp/lvs-package-x.XXXXXX)
trap 'rm -rf "$x" "$out_dir"' EXIT
dpkg-deb -x "$deb" "$x"
# lvsd: only libnl, libpcre2-8, libstdc++, libm, libc and friends are loaded from the system; lvsctl: nothing.
needed=$(objdump -p "$x/usr/sbin/lvsd" | awk '$1=="NEEDED"{print $2}' | sort | tr '\n' ' ')
for lib in $needed; do
    case "$lib" in
        libnl-3.so.200|libnl-genl-3.so.200|libnl-route-3.so.200|libpcre2-8.so.0|libc.so.6|libm.so.6|libstdc++.so.6|libgcc_s.so.1|ld-linux-x86-64.so.2) ;;
        *) fail "lvsd needs $lib, which the package does not depend on knowingly" ;;
    esac
done
[ -z "$(objdump -p "$x/usr/sbin/lvsctl" | awk '$1=="NEEDED"')" ] || fail "lvsctl needs shared libraries"
ok "lvsd NEEDED: $needed; lvsctl: none (static)"

# Man pages: groff renders them without a warning.
for page in lvsd lvsctl; do
    warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$x/usr/share/man/man8/$page.8.gz" 2>&1 >/dev/null)
    [ -z "$warnings" ] || fail "man $page: $warnings"
    zcat "$x/usr/share/man/man8/$page.8.gz" | grep -q "^\.TH .* \"lvs-director $version\" " ||
        fail "man $page's .TH line does not carry the version $version"
done
ok "man pages render without warnings"

# Bash completion: schedulers after -s, apply's options, the sub-commands.
completion() {
    bash -c 'source /usr/share/bash-completion/bash_completion; source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _lvsctl; printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd" "' _ "$x/usr/share/bash-completion/completions/lvsctl" "$@"
}
[ -f /usr/share/bash-completion/bash_completion ] || fail "bash-completion is missing: run scripts/setup.sh"
[ "$(completion lvsctl -A -t 10.0.0.1:80 -s w)" = "wlc wrr" ] || fail "completion of -s w: '$(completion lvsctl -A -t 10.0.0.1:80 -s w)'"
[ "$(completion lvsctl apply f.rules --p)" = "--prune" ] || fail "completion of apply --p: '$(completion lvsctl apply f.rules --p)'"
[ "$(completion lvsctl ap)" = "apply" ] || fail "completion of ap: '$(completion lvsctl ap)'"
[[ " $(completion lvsctl --ne) " == *" --netns "* ]] || fail "completion of --ne: '$(completion lvsctl --ne)'"
ok "bash completion"

echo "package-test: the VM part (overlay root, dpkg -i / -r / --purge, lvsctl and lvsd against the kernel)"
bash scripts/vm.sh --timeout 900 -- bash scripts/package-test.sh --in-vm "$deb" ||
    fail "the VM part failed (above)"
size=$(stat -c %s "$deb")
echo "package-test: passed in $(( $(date +%s) - started )) s ($(basename "$deb"), $((size / 1024)) KiB)"
