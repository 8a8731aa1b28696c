#!/usr/bin/env bash
# Runs inside the VM (scripts/checkers-compare/run.sh). Every missing prerequisite is a failure, never a skip.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."; t=$PWD/scripts/checkers-compare
out=$PWD/.build/vm-tmp/checkers-compare; rm -rf $out; mkdir -p $out
lvsd=$PWD/.build/debug/lvsd
fail() { echo "checkers-compare: $*"; rc=1; }
rc=0
[ -x "$lvsd" ] || fail "no lvsd at $lvsd (build first)"
for c in keepalived ipvsadm python3 ip; do command -v $c >/dev/null || fail "$c is not installed"; done
python3 -c 'import aiosmtpd' 2>/dev/null || fail "python3-aiosmtpd is not installed"
[ $rc = 0 ] || exit 1
say() { echo "[checkers-compare +$(( $(date +%s) - t0 ))s] $*"; }
t0=$(date +%s)
pids=()
daemons=(lvsd keepalived)
for d in "${daemons[@]}"; do
  ns=cc-$d; dir=$out/$d; mkdir -p $dir
  ip netns add $ns; ip -n $ns link set lo up
  for a in 1 2 3 4 5 6 7 8; do ip -n $ns addr add 10.20.0.$a/32 dev lo; done
  ip netns exec $ns python3 $t/smtp.py $dir/helo.log ok:10.20.0.2:25 refuse:10.20.0.3:25 silent:10.20.0.4:25 \
    banner:10.20.0.8:25 > $dir/smtp.log 2>&1 & pids+=($!)
  # The track files' first numbers (d is made by init_file).
  echo 3 > $dir/a; echo abc > $dir/b; echo 0 > $dir/c; echo 2 > $dir/e
  sed "s|@DIR@|$dir|g" $t/keepalived.conf.in > $dir/keepalived.conf
done
# The peers listen before the daemons start (python is slow to start in the emulated VM).
for i in $(seq 1 120); do
  n=$(cat $out/*/smtp.log 2>/dev/null | grep -c listening || true)
  [ "$n" = 8 ] && break; sleep 0.5
done
[ "$n" = 8 ] || { fail "the SMTP peers did not start ($n of 8 listening)"; cat $out/*/smtp.log; }
say "peers listening"
for d in "${daemons[@]}"; do
  ns=cc-$d; dir=$out/$d
  if [ $d = keepalived ]; then
    ip netns exec $ns keepalived -n -l -D -C -f $dir/keepalived.conf -p /tmp/cc-ka.pid -c /tmp/cc-kac.pid --vrrp_pid /tmp/cc-kav.pid > $dir/daemon.log 2>&1 &
  else
    ip netns exec $ns $lvsd -n -l -D -f $dir/keepalived.conf -p /tmp/cc-lvsd.pid --control-socket /tmp/cc-lvsd.sock > $dir/daemon.log 2>&1 &
  fi
  pids+=($!)
done
snap() { for d in "${daemons[@]}"; do ip netns exec cc-$d ipvsadm -Sn | sort > $out/$d/table$1; done; }
# What keepalived's semantics give at each step: +LINE must be in the table, -LINE must not (so that two empty
# tables cannot agree by accident). Shell matching, not one grep per line: every process costs in the emulated VM.
want1=("+-t 10.20.0.1:25 -r 10.20.0.2:25 -g -w 1" "+-t 10.20.0.1:25 -r 10.20.0.7:25 -g -w 1"
       "--r 10.20.0.3:25 " "--r 10.20.0.4:25 " "--r 10.20.0.5:25 " "--r 10.20.0.6:25 " "--r 10.20.0.8:25 "
       "+-r 10.20.1.1:80 -g -w 7" "+-r 10.20.1.2:80 -g -w 1" "+-r 10.20.1.3:80 -g -w 3" "+-r 10.20.1.4:80 -g -w 5"
       "+-r 10.20.1.5:80 -g -w 12" "+-r 10.20.1.6:80 -g -w 1")
want2=("+-r 10.20.1.1:80 -g -w 15" "+-r 10.20.1.2:80 -g -w 0" "--r 10.20.1.3:80 " "+-r 10.20.1.5:80 -g -w 12"
       "+-r 10.20.1.6:80 -g -w 1")
want3=("+-r 10.20.1.5:80 -g -w 10")
# meets FILE [quiet] WANT...: whether the table in FILE has every + line and no - line.
meets() {
  local file=$1 quiet=$2 ok=0 table w; table=$(<$1); shift 2
  local name=${file#$out/}
  for w in "$@"; do
    case $w in
      +*) [[ $table == *"${w:1}"* ]] || { ok=1; [ $quiet = loud ] && fail "$name: expected '${w:1}'"; } ;;
      -*) [[ $table != *"${w:1}"* ]] || { ok=1; [ $quiet = loud ] && fail "$name: did not expect '${w:1}'"; } ;;
    esac
  done
  return $ok
}
# settle STEP SECONDS: reads both tables every second until both show the step's expected entries and agree (or
# the time is up), then once more 2 s later: the step's tables, which must still agree.
settle() {
  local step=$1 n=$2 i; local -n want=want$step
  for ((i = 0; i < n; i++)); do
    snap $step
    if meets $out/lvsd/table$step quiet "${want[@]}" && meets $out/keepalived/table$step quiet "${want[@]}" &&
       cmp -s $out/lvsd/table$step $out/keepalived/table$step; then break; fi
    sleep 1
  done
  sleep 2; snap $step
  say "step $step: tables read ($i s to settle)"
}
# The daemons are ready once their checkers are activated (lvsd's debug build starts slowly in the emulated VM).
for i in $(seq 1 120); do
  l=$(<$out/lvsd/daemon.log); k=$(<$out/keepalived/daemon.log)
  [[ $l == *"Starting lvsd:"* && $k == *"Activating healthchecker"* ]] && break; sleep 0.5
done
say "daemons started"
settle 1 40
for d in "${daemons[@]}"; do dir=$out/$d
  echo 7 > $dir/a; echo -5 > $dir/b; echo 1 > $dir/c; echo 99999999999 > $dir/e
done
say "a=7 b=-5 c=1 e=99999999999"
settle 2 20
for d in "${daemons[@]}"; do echo 0 > $out/$d/e; done
say "e=0"
settle 3 20
kill ${pids[@]} 2>/dev/null
for i in $(seq 1 20); do kill -0 ${pids[@]} 2>/dev/null || break; sleep 0.5; done
kill -9 ${pids[@]} 2>/dev/null; wait 2>/dev/null
for d in "${daemons[@]}"; do ip netns del cc-$d; done

# The verdict.
for s in 1 2 3; do
  if cmp -s $out/lvsd/table$s $out/keepalived/table$s; then
    say "step $s: lvsd's table = keepalived's ($(grep -c -- ' -r ' $out/lvsd/table$s) real servers)"
  else
    fail "step $s: lvsd's table differs from keepalived's"; diff $out/lvsd/table$s $out/keepalived/table$s
  fi
done
for s in 1 2 3; do
  wanted=want$s[@]
  for d in "${daemons[@]}"; do meets $out/$d/table$s loud "${!wanted}"; done
done
for d in "${daemons[@]}"; do
  log=$(<$out/$d/daemon.log); helo=$(<$out/$d/helo.log)
  for l in "Remote SMTP server [10.20.0.2]:tcp:25 succeed on service." \
           "SMTP_CHECK Bad HELO response from server [10.20.0.3]:25" \
           "SMTP_CHECK Read timeout from server [10.20.0.4]:25" \
           "SMTP_CHECK Could not connect to server [10.20.0.5]:25" \
           "SMTP_CHECK Bad greeting banner from server [10.20.0.8]:25" \
           "([10.20.1.3]:tcp:80): tracked file tf_c now FAULT state" \
           "Invalid number 99999999999 read from $out/$d/e - ignoring"; do
    [[ $log == *"$l"* ]] || fail "$d did not log: $l"
  done
  [[ $'\n'$helo$'\n' == *$'\n'checker.lvsd.test$'\n'* ]] || fail "$d: the server did not receive HELO checker.lvsd.test"
  [[ $'\n'$helo$'\n' == *$'\n'smtpchecker.keepalived.org$'\n'* ]] || fail "$d: the server did not receive the default HELO name"
  [ "$(<$out/$d/d)" = 4 ] || fail "$d: init_file did not write 4 to d"
done
if [ $rc != 0 ]; then
  for d in "${daemons[@]}"; do echo "--- $d log"; tail -60 $out/$d/daemon.log; done
fi
say "rc=$rc"
exit $rc
