#!/usr/bin/env bash
# Times ipvsadm against lvsctl inside the test VM, in one VM run, on the same work:
#   restore (-R) of 5,000 services x 2 destinations, and -Ln of that table.
# Prints the times and the ratios (ipvsadm time / lvsctl time). Goals: restore >= 5x, -Ln >= 3x.
#   bench/lvsctl-bench.sh            (boots the VM and runs itself inside it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "${1:-}" != "--in-vm" ]; then
    [ -x .build/debug/lvsctl ] || { echo "build first: swift build" >&2; exit 1; }
    exec bash scripts/vm.sh --timeout 1800 -- bash bench/lvsctl-bench.sh --in-vm
fi
lvsctl=${LVSCTL:-$(pwd)/.build/release/lvsctl}
[ -x "$lvsctl" ] || lvsctl=$(pwd)/.build/debug/lvsctl
services=${SERVICES:-5000}
work=$(mktemp -d /tmp/lvsbench.XXXXXX)
ip netns add bench-a
ip netns add bench-l
for n in bench-a bench-l; do ip -n $n link set lo up; done
awk -v n="$services" 'BEGIN {
    for (i = 0; i < n; i++) {
        a = 10 + int(i / 65536); b = int(i / 256) % 256; c = i % 256
        svc = sprintf("-t 10.%d.%d.%d:80", a % 256, b, c)
        printf "-A %s -s wlc\n", svc
        printf "-a %s -r 192.168.%d.%d:8080 -m -w 1\n", svc, b, c
        printf "-a %s -r 172.16.%d.%d:8080 -m -w 2\n", svc, b, c
    }
}' > "$work/table"
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

t0=$(now); ip netns exec bench-a ipvsadm -R < "$work/table"; t1=$(now)
LVSCTL_TIMING=1 ip netns exec bench-l "$lvsctl" -R < "$work/table" 2> "$work/timing"; t2=$(now)
restore_a=$(ms $t0 $t1); restore_l=$(ms $t1 $t2)

ip netns exec bench-a ipvsadm -Sn > "$work/a.save"
ip netns exec bench-l ipvsadm -Sn > "$work/l.save"
cmp -s "$work/a.save" "$work/l.save" && same=yes || same=NO

t0=$(now); ip netns exec bench-a ipvsadm -Ln > "$work/a.list"; t1=$(now)
ip netns exec bench-a "$lvsctl" -Ln > "$work/l.list"; t2=$(now)
list_a=$(ms $t0 $t1); list_l=$(ms $t1 $t2)
cmp -s "$work/a.list" "$work/l.list" && listsame=yes || listsame=NO

echo "lvsctl bench: $services services x 2 destinations ($lvsctl)"
echo "restore: ipvsadm ${restore_a} ms, lvsctl ${restore_l} ms, ratio $(awk -v a=$restore_a -v b=$restore_l 'BEGIN{printf "%.1fx", a/(b>0?b:1)}') (tables identical: $same)"
echo "-Ln:     ipvsadm ${list_a} ms, lvsctl ${list_l} ms, ratio $(awk -v a=$list_a -v b=$list_l 'BEGIN{printf "%.1fx", a/(b>0?b:1)}') (output identical: $listsame)"
cat "$work/timing"
ip netns delete bench-a; ip netns delete bench-l
rm -rf "$work"
