#!/usr/bin/env bash
# Times ipvsadm against lvsctl inside the test VM, in one VM run, on the same work:
#   a small table (60 services x 2 destinations): one invocation each of --version, -Ln, -Ln --rate, -Ln --stats,
#   and -A + -a of one service, as scripts such as director.sh run lvsctl once per change. Prints each command's
#   median over SMALL_REPS runs (21 by default) and the ratio lvsctl/ipvsadm. Goal: <= 1 for each.
#   a large table: restore (-R) of 5,000 services x 2 destinations, and -Ln of that table. Prints the medians of
#   REPS runs (3 by default) and the ratios ipvsadm/lvsctl. Goals: restore >= 5x, -Ln >= 3x.
#   bench/lvsctl-bench.sh            (boots the VM and runs itself inside it; SMALL_ONLY=1 skips the large table)
# Build first: swift build -c release --product lvsctl --static-swift-stdlib (a fully static executable).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "${1:-}" != "--in-vm" ]; then
    [ -x .build/release/lvsctl ] || [ -x .build/debug/lvsctl ] || { echo "build first: swift build -c release --product lvsctl" >&2; exit 1; }
    exec bash scripts/vm.sh --timeout 2400 -- env SMALL_REPS="${SMALL_REPS:-}" REPS="${REPS:-}" SMALL_ONLY="${SMALL_ONLY:-}" \
        SERVICES="${SERVICES:-}" LVSCTL="${LVSCTL:-}" bash bench/lvsctl-bench.sh --in-vm
fi
lvsctl=${LVSCTL:-$(pwd)/.build/release/lvsctl}
[ -x "$lvsctl" ] || lvsctl=$(pwd)/.build/debug/lvsctl
services=${SERVICES:-5000}
small_reps=${SMALL_REPS:-21}
work=$(mktemp -d /tmp/lvsbench.XXXXXX)
# Both tools run from copies on the VM's local tmpfs, as installed binaries on a director's disk: the project's 9p
# share is mounted without caching, so a binary run from it is re-read over 9p at every start (the rig's cost).
cp "$lvsctl" "$work/lvsctl"; lvsctl=$work/lvsctl
cp "$(command -v ipvsadm)" "$work/ipvsadm"; ipvsadm=$work/ipvsadm
"$lvsctl" -v > /dev/null 2>&1 || true; "$ipvsadm" -v > /dev/null 2>&1 || true
reps=${REPS:-3}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The small table. Each run is one process, timed inside the namespace with bash's EPOCHREALTIME (no fork for the
# clock, and neither `ip netns exec` nor the loop is counted). The tools alternate which goes first in each round,
# so that a slow moment of the (shared, emulated) machine does not always fall on the same one. -A + -a is timed
# as the two invocations a script makes to add a service; the -D that puts the table back is not timed.
ip netns add bench-s; ip -n bench-s link set lo up
awk 'BEGIN { for (i = 1; i <= 60; i++) {
    printf "-A -t 10.50.0.%d:80 -s wlc\n-a -t 10.50.0.%d:80 -r 192.168.50.%d:8080 -m -w 1\n", i, i, i
    printf "-a -t 10.50.0.%d:80 -r 172.16.50.%d:8080 -m -w 2\n", i, i } }' > "$work/small.table"
ip netns exec bench-s "$ipvsadm" -R < "$work/small.table"
small_cmds=("--version" "-Ln" "-Ln --rate" "-Ln --stats" "-A -t 10.50.1.1:80 -s rr + -a -t 10.50.1.1:80 -r 192.168.51.1:8080 -m")
smallsame=yes
for c in "${small_cmds[@]:1:3}"; do
    # shellcheck disable=SC2086
    ip netns exec bench-s "$ipvsadm" $c > "$work/a.small"; ip netns exec bench-s "$lvsctl" $c > "$work/l.small"
    cmp -s "$work/a.small" "$work/l.small" || smallsame=NO
done
ip netns exec bench-s bash -c '
    work=$1 reps=$2; shift 2
    for r in $(seq "$reps"); do
        tools="ipvsadm lvsctl"; [ $((r % 2)) = 0 ] && tools="lvsctl ipvsadm"
        for c in "$@"; do
            first=${c%% + *}; second=""; [ "$first" != "$c" ] && second=${c#* + }
            for t in $tools; do
                s=$EPOCHREALTIME
                "$work/$t" $first > /dev/null || echo "FAILED: $t $first" >&2
                [ -z "$second" ] || "$work/$t" $second > /dev/null || echo "FAILED: $t $second" >&2
                e=$EPOCHREALTIME
                if [ -n "$second" ]; then read -r _ proto addr _ <<< "$first"; "$work/ipvsadm" -D "$proto" "$addr"; fi
                printf "%s\t%s\t%s\n" "$c" "$t" $(( ${e/./} - ${s/./} ))
            done
        done
    done' _ "$work" "$small_reps" "${small_cmds[@]}" > "$work/small.times"
ip netns delete bench-s
echo "lvsctl bench: small table, 60 services x 2 destinations, median of $small_reps runs ($(uname -r), $(nproc) vCPUs)"
printf "%-28s %10s %10s %16s\n" "command" "ipvsadm" "lvsctl" "lvsctl/ipvsadm"
for c in "${small_cmds[@]}"; do
    a=$(awk -F'\t' -v c="$c" '$1 == c && $2 == "ipvsadm" { print $3 }' "$work/small.times" | median)
    l=$(awk -F'\t' -v c="$c" '$1 == c && $2 == "lvsctl" { print $3 }' "$work/small.times" | median)
    name=$c; [ "${c#-A }" != "$c" ] && name="-A + -a (one service)"
    awk -v n="$name" -v a="$a" -v l="$l" 'BEGIN { printf "%-28s %7.1f ms %7.1f ms %16.2f\n", n, a / 1000, l / 1000, l / (a > 0 ? a : 1) }'
done
echo "(goal: each ratio <= 1; listings identical: $smallsame)"
[ -z "${SMALL_ONLY:-}" ] || { rm -rf "$work"; exit 0; }
echo
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
