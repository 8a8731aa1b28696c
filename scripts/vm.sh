#!/usr/bin/env bash
# Boot Debian's distribution kernel (which has IPVS as modules) under qemu/TCG and run a command inside it as
# root, with the host's root file system mounted read-only and the project directory mounted read-write at its
# own path. The command's exit status becomes this script's exit status; if the VM does not boot or the command
# never reports back, this script fails.
#
#   scripts/vm.sh [--timeout SECS] [--mem MB] -- COMMAND [ARGS...]
#
# Inside the VM: cwd is the project directory, HOME=/tmp, /tmp /run /var/tmp /var/log /var/lib are fresh tmpfs,
# and the kernel's modules are loadable with modprobe (ip_vs and the schedulers are loaded before COMMAND runs).
set -euo pipefail

timeout_s=3000
mem_mb=4096
while [ $# -gt 0 ]; do
    case "$1" in
        --timeout) timeout_s=$2; shift 2 ;;
        --mem) mem_mb=$2; shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: scripts/vm.sh [--timeout SECS] [--mem MB] -- COMMAND [ARGS...]" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=$(cd "$here/.." && pwd)

# The newest installed distribution kernel that ships ip_vs as a module.
kver=""
for k in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r); do
    if [ -e "/lib/modules/$k/kernel/net/netfilter/ipvs/ip_vs.ko" ] || [ -e "/lib/modules/$k/kernel/net/netfilter/ipvs/ip_vs.ko.xz" ]; then
        kver=$k; break
    fi
done
[ -n "$kver" ] || { echo "vm.sh: no kernel with ip_vs under /boot; run scripts/setup.sh (apt-get install linux-image-amd64)" >&2; exit 3; }
command -v qemu-system-x86_64 >/dev/null || { echo "vm.sh: qemu-system-x86_64 missing; run scripts/setup.sh" >&2; exit 3; }
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && file -L "$busybox" | grep -q 'statically linked' || busybox=/bin/busybox
[ -x "$busybox" ] || { echo "vm.sh: busybox-static missing; run scripts/setup.sh" >&2; exit 3; }

work=$(mktemp -d /tmp/lvs-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/initrd/bin" "$work/initrd/lib/modules" "$work/initrd/proc" "$work/initrd/sys" "$work/initrd/dev" "$work/initrd/newroot"
cp "$busybox" "$work/initrd/bin/busybox"

# Modules needed to reach the host's root over virtio-9p, in dependency order.
mods=""
for m in virtio_pci 9pnet_virtio 9p; do
    mods="$mods $(modprobe -S "$kver" --show-depends "$m" | awk '$1=="insmod"{print $2}')"
done
order=""
for path in $mods; do
    case " $order " in *" $path "*) ;; *) order="$order $path" ;; esac
done
: > "$work/initrd/modules.order"
for path in $order; do
    name=$(basename "$path")
    case "$name" in
        *.xz) xz -dc "$path" > "$work/initrd/lib/modules/${name%.xz}"; name=${name%.xz} ;;
        *.zst) zstd -qdc "$path" > "$work/initrd/lib/modules/${name%.zst}"; name=${name%.zst} ;;
        *) cp "$path" "$work/initrd/lib/modules/$name" ;;
    esac
    echo "$name" >> "$work/initrd/modules.order"
done

# The command, run inside the chroot.
{
    echo '#!/bin/sh'
    printf 'cd %q || exit 120\n' "$project"
    printf 'exec'; printf ' %q' "$@"; printf '\n'
} > "$work/command.sh"
chmod +x "$work/command.sh"
mkdir -p "$work/out"

cat > "$work/initrd/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in \$(cat /modules.order); do insmod /lib/modules/\$m || echo "vm: insmod \$m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 host /newroot || { echo "vm: cannot mount host root"; poweroff -f; }
for d in tmp run var/tmp var/log var/lib var/cache; do mount -t tmpfs tmpfs /newroot/\$d; done
chmod 1777 /newroot/tmp /newroot/var/tmp
mkdir -p /newroot/tmp/vm-out "$project" 2>/dev/null
mkdir -p "/newroot$project"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 vmout /newroot/tmp/vm-out || { echo "vm: cannot mount result share"; poweroff -f; }
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none project "/newroot$project" || { echo "vm: cannot mount project share"; poweroff -f; }
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t cgroup2 none /newroot/sys/fs/cgroup 2>/dev/null
echo "vm: booted \$(uname -r)"
chroot /newroot /bin/sh -c '
    export PATH=/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp LANG=C.UTF-8 LVS_IN_VM=1
    ip link set lo up
    for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ip_vs_pe_sip veth ipip ip_gre fou nlmon dummy; do modprobe \$m 2>/dev/null || echo "vm: modprobe \$m failed"; done
    /bin/sh /tmp/vm-out/command.sh
    echo \$? > /tmp/vm-out/status
'
sync
umount /newroot/tmp/vm-out 2>/dev/null
poweroff -f
INIT
chmod +x "$work/initrd/init"
cp "$work/command.sh" "$work/out/command.sh"
(cd "$work/initrd" && find . | cpio -o -H newc --quiet | gzip -1 > "$work/initrd.gz")

echo "vm.sh: booting $kver under qemu (TCG), command: $*"
set +e
timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 \
    -accel tcg -cpu max -smp 2 -m "$mem_mb" -nographic -no-reboot \
    -kernel "/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
    -append "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init" \
    -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
    -virtfs local,path="$work/out",mount_tag=vmout,security_model=none \
    -virtfs local,path="$project",mount_tag=project,security_model=none,multidevs=remap \
    -nic none < /dev/null
qrc=$?
set -e
if [ ! -s "$work/out/status" ]; then
    echo "vm.sh: the VM did not report a result (qemu exit $qrc): boot failed or timed out after ${timeout_s}s" >&2
    exit 3
fi
exit "$(cat "$work/out/status")"
