#!/usr/bin/env bash
# Builds the Debian package lvs-director_VERSION_amd64.deb: lvsd and lvsctl (release builds, Swift runtime linked
# statically; lvsctl fully static) in /usr/sbin, the systemd unit lvsd.service, /etc/default/lvsd (a conffile),
# the man pages lvsd(8) and lvsctl(8), bash completion for lvsctl, copyright, changelog and the reference docs.
# Then runs lintian on it and fails if lintian reports an error.
#
#   scripts/package.sh [--out DIR]
#
# VERSION is ProductVersion.string (Sources/IPVSKit/Version/ProductVersion.swift), the one place it is written;
# packaging/changelog's newest entry must carry the same version. Environment:
#   LVSD_BIN, LVSCTL_BIN   prebuilt release binaries to package (both or neither); without them both are built
#                          with `swift build -c release --static-swift-stdlib` in PACKAGE_SCRATCH
#   PACKAGE_SCRATCH        the release build's scratch path (default: .build-rel in the checkout)
#   PACKAGE_OUT            the output directory (default: dist/ in the checkout; --out overrides)
# The binaries must say the same version as the source (`lvsd --version`, `lvsctl version`): stale prebuilt
# binaries are refused. Prints the package's path and size on its last line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
die() { echo "package.sh: $*" >&2; exit 1; }

out=${PACKAGE_OUT:-$root/dist}
while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] && [ -n "$2" ] || die "--out needs a directory"; out=$2; shift 2 ;;
        -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (usage: scripts/package.sh [--out DIR])" ;;
    esac
done

for tool in dpkg-deb dpkg-shlibdeps dpkg-parsechangelog lintian strip file gzip; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/setup.sh (dpkg-dev, lintian, binutils, file)"
done
[ "$(dpkg --print-architecture)" = amd64 ] || die "this script packages for amd64 only (this machine is $(dpkg --print-architecture))"

# --- the version, from its one place ---
version_file=Sources/IPVSKit/Version/ProductVersion.swift
version=$(sed -n 's/^ *public static let string = "\([^"]*\)".*/\1/p' "$version_file")
[ -n "$version" ] || die "no 'public static let string = \"...\"' in $version_file"
[[ $version =~ ^[0-9]+(\.[0-9]+)*([~+][0-9A-Za-z.]+)?$ ]] || die "version '$version' in $version_file is not a Debian native version"
changelog_version=$(dpkg-parsechangelog -l packaging/changelog -S Version)
[ "$changelog_version" = "$version" ] ||
    die "packaging/changelog's newest entry is $changelog_version, the source says $version ($version_file): add a changelog entry"
# Reproducible: every date in the package is the changelog entry's.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l packaging/changelog -S Timestamp)
export SOURCE_DATE_EPOCH
man_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)

# --- the binaries ---
if [ -n "${LVSD_BIN:-}${LVSCTL_BIN:-}" ]; then
    [ -n "${LVSD_BIN:-}" ] && [ -n "${LVSCTL_BIN:-}" ] || die "set both LVSD_BIN and LVSCTL_BIN, or neither"
    lvsd_bin=$LVSD_BIN; lvsctl_bin=$LVSCTL_BIN
    echo "package.sh: packaging prebuilt $lvsd_bin and $lvsctl_bin"
else
    command -v swift >/dev/null || die "swift not on PATH (export PATH=/opt/swift/usr/bin:\$PATH)"
    scratch=${PACKAGE_SCRATCH:-$root/.build-rel}
    for product in lvsctl lvsd; do
        echo "package.sh: swift build -c release --static-swift-stdlib --product $product (scratch $scratch)"
        swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product "$product" 2>&1 |
            grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting|Linking|Applying)' || true
        swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product "$product" -q >/dev/null 2>&1 ||
            die "the release build of $product failed"
    done
    bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
    lvsd_bin=$bin/lvsd; lvsctl_bin=$bin/lvsctl
fi
for b in "$lvsd_bin" "$lvsctl_bin"; do
    [ -f "$b" ] && [ -x "$b" ] || die "$b is not an executable file"
    file -L "$b" | grep -q 'ELF 64-bit.*x86-64' || die "$b is not an x86-64 ELF executable"
done
got=$("$lvsd_bin" --version 2>&1 | head -1) || true
[[ $got == "lvsd $version "* ]] || die "$lvsd_bin --version says '$got', expected lvsd $version: stale binary?"
got=$("$lvsctl_bin" version 2>&1 | head -1) || true
[[ $got == "lvsctl $version "* ]] || die "$lvsctl_bin version says '$got', expected lvsctl $version: stale binary?"
file -L "$lvsctl_bin" | grep -q 'statically linked' ||
    die "$lvsctl_bin is not statically linked: package a release build (-c release links it -static-executable)"

# --- the tree ---
work=$(mktemp -d /tmp/lvs-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
pkg=$work/lvs-director
doc=$pkg/usr/share/doc/lvs-director
install -d "$pkg/DEBIAN" "$pkg/usr/sbin" "$pkg/lib/systemd/system" "$pkg/etc/default" "$pkg/usr/share/man/man8" \
    "$pkg/usr/share/bash-completion/completions" "$pkg/usr/share/lintian/overrides" "$doc/examples"
for name in lvsd lvsctl; do
    src=$lvsd_bin; [ $name = lvsctl ] && src=$lvsctl_bin
    install -m 0755 "$src" "$pkg/usr/sbin/$name"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$pkg/usr/sbin/$name"
done
install -m 0644 packaging/lvsd.service "$pkg/lib/systemd/system/lvsd.service"
install -m 0644 packaging/lvsd.default "$pkg/etc/default/lvsd"
for page in lvsd.8 lvsctl.8; do
    sed -e "s/@VERSION@/$version/g" -e "s/@DATE@/$man_date/g" "packaging/$page" | gzip -9n > "$pkg/usr/share/man/man8/$page.gz"
done
install -m 0644 packaging/lvsctl.bash-completion "$pkg/usr/share/bash-completion/completions/lvsctl"
install -m 0644 packaging/lintian-overrides "$pkg/usr/share/lintian/overrides/lvs-director"
install -m 0644 packaging/copyright "$doc/copyright"
gzip -9n < packaging/changelog > "$doc/changelog.gz"
install -m 0644 docs/lvsctl.md docs/lvsctl-json.md docs/lvsd-status.md "$doc/"
for setup in dr nat tun; do
    install -m 0644 "examples/$setup/keepalived.conf" "$doc/examples/keepalived.conf.$setup"
done
install -m 0644 examples/ha/dr-director1.conf examples/ha/dr-director2.conf "$doc/examples/"
install -m 0644 examples/systemd/lvsd.service.d/notify-reload.conf "$doc/examples/lvsd.service.d-notify-reload.conf"
chmod 0644 "$doc"/*.gz "$pkg"/usr/share/man/man8/*.gz

# --- control files ---
install -m 0755 packaging/postinst packaging/prerm packaging/postrm "$pkg/DEBIAN/"
echo /etc/default/lvsd > "$pkg/DEBIAN/conffiles"
# The shared libraries the binaries really load (lvsd: libnl, libpcre2-8, libstdc++, libc; lvsctl: none), as Debian packages.
mkdir -p "$work/src/debian"
printf 'Source: lvs-director\n\nPackage: lvs-director\nArchitecture: amd64\n' > "$work/src/debian/control"
shlibs=$(cd "$work/src" && dpkg-shlibdeps -O -e"$pkg/usr/sbin/lvsd" -e"$pkg/usr/sbin/lvsctl" 2>"$work/shlibdeps.err") ||
    { cat "$work/shlibdeps.err" >&2; die "dpkg-shlibdeps failed"; }
depends=${shlibs#shlibs:Depends=}
[ -n "$depends" ] && [ "$depends" != "$shlibs" ] || die "dpkg-shlibdeps gave no dependencies ('$shlibs')"
for lib in libnl-3-200 libnl-genl-3-200 libnl-route-3-200 libpcre2-8-0; do
    [[ $depends == *"$lib "* || $depends == *"$lib," || $depends == *"$lib" ]] ||
        die "dpkg-shlibdeps did not find $lib among lvsd's libraries ($depends)"
done
# Built-Using (Debian policy 7.8): the Debian source packages whose code is linked statically into lvsctl.
built_using=$(dpkg-query -W -f='${source:Package} (= ${source:Version})\n' libnl-3-dev libnl-genl-3-dev libc6-dev |
    sort -u | paste -sd, | sed 's/,/, /g') || die "cannot read the versions of libnl-3-dev / libc6-dev"
installed_size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<EOF
Package: lvs-director
Version: $version
Architecture: amd64
Maintainer: LVS director maintainers <maintainers@users.noreply.h-seed-d1425920.example>
Installed-Size: $installed_size
Depends: $depends
Built-Using: $built_using
Suggests: ipvsadm
Section: net
Priority: optional
Description: keepalived-compatible LVS director (lvsd) and ipvsadm-compatible CLI (lvsctl)
 lvsd reads keepalived.conf unchanged, programs the kernel's IPVS table from
 its virtual_server blocks, health-checks the real servers (TCP_CHECK,
 HTTP_GET, SSL_GET, MISC_CHECK) and runs its VRRP instances, with
 transactional reloads, adoption of the kernel table at start, a status
 command and Prometheus metrics. It replaces keepalived; the unit lvsd.service
 conflicts with keepalived.service.
 .
 lvsctl takes ipvsadm's command line and prints ipvsadm's output byte for
 byte, and adds JSON listings, declarative apply of a table and network
 namespaces.
EOF
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f ! -path ./etc/default/lvsd -print0 | sort -z |
    xargs -0 md5sum | sed 's|  \./|  |') > "$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/conffiles" "$pkg/DEBIAN/md5sums"

mkdir -p "$out"
deb=$out/lvs-director_${version}_amd64.deb
rm -f "$deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "package.sh: Depends: $depends"

# --- lintian: no error, or the package is not made ---
echo "package.sh: lintian $deb"
if ! lintian --fail-on error --display-level '>=warning' "$deb"; then
    rm -f "$deb"
    die "lintian reports errors (above): the package was removed"
fi
size=$(stat -c %s "$deb")
echo "package.sh: $deb ($size bytes, $((size / 1024)) KiB; installed $installed_size KiB)"
