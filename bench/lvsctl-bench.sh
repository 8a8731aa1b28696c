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
# Both tools run from copies on the VM's local tmpfs, as installed binaries on a director's disk: the project's 9p
# share is mounted without caching, so a binary run from it is re-read over 9p at every start (the rig's cost).
cp "$lvsctl" "$work/lvsctl"; lvsctl=$work/lvsctl
cp "$(command -v ipvsadm)" "$work/ipvsadm"; ipvsadm=$work/ipvsadm
"$lvsctl" -v > /dev/null 2>&1 || true; "$ipvsadm" -v > /dev/null 2>&1 || true
reps=${REPS:-3}
awk -v n="$services" 'BEGIN {
    for (i = 0; i < n; i++) {
        a = 10 + int(i / 65536); b = int(i / 256) % 256; c = i % 256
        svc = sprintf("-t 10.%d.%d.%d:80", a % 256, b, c)
        printf "-A %s -s wlc\n", svc
        printf "-a %s -r 192.168.%d.%d:8080 -m -w 1\n", svc, b, c
        printf "-a %s -r 172.16.%d.%d:8080 -m -w 2\n", svc, b, c
    }
}' > "$work/table"
# About a 1% change of the table's 15,000 entries: 100 weights changed, 25 services added with 2 destinations each.
# changed.table is the whole desired table (for lvsctl apply); changes.cmds is the same change as the ipvsadm
# commands an operator would write by hand.
awk -v n="$services" '
    /^-a/ && $7 == "-w" && $8 == 1 && (++seen % int(n / 100)) == 0 && edited < 100 { $8 = 5; edited++; print "-e" substr($0, 3) > CMDS }
    { print }
    END {
        for (i = 0; i < 25; i++) {
            svc = sprintf("-t 10.200.0.%d:443", i + 1)
            line = sprintf("-A %s -s rr\n-a %s -r 192.168.200.%d:8443 -m -w 1\n-a %s -r 172.16.200.%d:8443 -m -w 1", svc, svc, i + 1, svc, i + 1)
            print line; print line > CMDS
        }
    }' CMDS="$work/changes.cmds" "$work/table" > "$work/changed.table"
# timed MS_FILE NS INPUT OUTPUT CMD...: runs CMD in namespace NS with stdin INPUT and stdout OUTPUT, and appends
# its wall time in ms to MS_FILE. The clock is read inside the namespace, with bash's EPOCHREALTIME (no fork), so
# neither `ip netns exec` (a mount namespace and a /sys remount, tens of ms under TCG) nor a `date` process is
# counted: the time is the tool's own, start to exit.
timed() {
    local file=$1 ns=$2 input=$3 output=$4; shift 4
    ip netns exec "$ns" bash -c 'in=$0 out=$1; shift; s=$EPOCHREALTIME; "$@" < "$in" > "$out"; e=$EPOCHREALTIME; echo "$s $e"' \
        "$input" "$output" "$@" | awk '{ printf "%d\n", ($2 - $1) * 1000 }' >> "$file"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
: > "$work/restore.a"; : > "$work/restore.l"; : > "$work/list.a"; : > "$work/list.l"
: > "$work/apply.a"; : > "$work/reload.a"; : > "$work/apply.l"
same=yes; listsame=yes; applysame=yes; ops=""
for rep in $(seq "$reps"); do
    ip netns add bench-a; ip netns add bench-l
    for n in bench-a bench-l; do ip -n $n link set lo up; done

    timed "$work/restore.a" bench-a "$work/table" /dev/null "$ipvsadm" -R
    LVSCTL_TIMING=1 timed "$work/restore.l" bench-l "$work/table" /dev/null "$lvsctl" -R 2> "$work/timing"
    ip netns exec bench-a ipvsadm -Sn > "$work/a.save"
    ip netns exec bench-l ipvsadm -Sn > "$work/l.save"
    cmp -s "$work/a.save" "$work/l.save" || same=NO

    # -Ln with one IPVS table in the kernel, as on a director: with services in several namespaces, the kernel's
    # /proc/net/ip_vs iterator skips entries (it counts other namespaces' services in its position but not in its
    # restart), and lvsctl then reads the missing services' destinations over netlink, as ipvsadm does.
    ip netns exec bench-l "$ipvsadm" -C
    timed "$work/list.a" bench-a /dev/null "$work/a.list" "$ipvsadm" -Ln
    timed "$work/list.l" bench-a /dev/null "$work/l.list" "$lvsctl" -Ln
    cmp -s "$work/a.list" "$work/l.list" || listsame=NO

    ip netns exec bench-l "$lvsctl" -R < "$work/table"
    # The 1% change: by hand with ipvsadm (only the changed entries), and with lvsctl apply of the whole file.
    ops=$(ip netns exec bench-l "$lvsctl" apply --dry-run "$work/changed.table" | wc -l)
    timed "$work/apply.a" bench-a "$work/changes.cmds" /dev/null "$ipvsadm" -R
    timed "$work/apply.l" bench-l /dev/null /dev/null "$lvsctl" apply "$work/changed.table"
    ip netns exec bench-a ipvsadm -Sn > "$work/a.save"
    ip netns exec bench-l ipvsadm -Sn > "$work/l.save"
    cmp -s "$work/a.save" "$work/l.save" || applysame=NO
    # What a script without a diff does: flush and restore the whole new table (and resets every connection).
    { echo "-C"; cat "$work/changed.table"; } > "$work/reload.table"
    timed "$work/reload.a" bench-a "$work/reload.table" /dev/null "$ipvsadm" -R

    ip netns delete bench-a; ip netns delete bench-l
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / (b > 0 ? b : 1) }'; }
ra=$(median < "$work/restore.a"); rl=$(median < "$work/restore.l")
la=$(median < "$work/list.a"); ll=$(median < "$work/list.l")
aa=$(median < "$work/apply.a"); al=$(median < "$work/apply.l"); fa=$(median < "$work/reload.a")
echo "lvsctl bench: $services services x 2 destinations, median of $reps runs ($(uname -r), $(nproc) vCPUs)"
echo "restore: ipvsadm ${ra} ms, lvsctl ${rl} ms, ratio $(ratio "$ra" "$rl") (goal >= 5x; tables identical: $same)"
echo "-Ln:     ipvsadm ${la} ms, lvsctl ${ll} ms, ratio $(ratio "$la" "$ll") (goal >= 3x; output identical: $listsame)"
echo "apply of a 1% change ($ops operations planned, $(wc -l < "$work/changes.cmds") changed entries):"
echo "         lvsctl apply ${al} ms; ipvsadm -R of only the changed lines ${aa} ms ($(ratio "$aa" "$al")),"
echo "         ipvsadm -C + -R of the whole new table ${fa} ms ($(ratio "$fa" "$al")) (tables identical: $applysame)"
cat "$work/timing"
rm -rf "$work"
