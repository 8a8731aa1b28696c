set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."; t=$PWD/scripts/datagram-checkers
out=$PWD/.build/vm-tmp/datagram-checkers; rm -rf $out; mkdir -p $out
# The dummy device that drops ICMP: its module is not loaded on demand in the VM.
modprobe dummy || { echo "datagram-checkers: cannot load the dummy module"; exit 1; }
# keepalived first: its table is the reference each lvsd run is waited for (at most 30 s), then held 5 s.
for d in keepalived lvsd lvsdping; do
  ns=dg-$d; ip netns add $ns; ip -n $ns link set lo up
  for a in 1 2 3 4 5 6 7; do ip -n $ns addr add 10.10.0.$a/32 dev lo; done
  ip -n $ns -6 addr add fd00::1/128 dev lo nodad; ip -n $ns -6 addr add fd00::2/128 dev lo nodad
  ip -n $ns link add drop0 type dummy; ip -n $ns link set drop0 up
  ip -n $ns route add 10.10.9.9/32 dev drop0; ip -n $ns -6 route add fd00:9::9/128 dev drop0
  [ $d = lvsdping ] && ip netns exec $ns sysctl -qw net.ipv4.ping_group_range="0 2147483647"
  ip netns exec $ns python3 $t/udp.py echo 10.10.0.2 5001 5004 > /dev/null 2>&1 & e=$!
  ip netns exec $ns python3 $t/udp.py silent 10.10.0.4 5002 5003 > /dev/null 2>&1 & s=$!
  ip netns exec $ns dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll --bind-interfaces --listen-address=10.10.0.5 --port=53 --address=/ok.test/10.9.9.9 --user=root --pid-file=/tmp/dns-$d.pid --log-facility=- > /dev/null 2>&1 & n=$!
  sleep 3
  if [ $d = keepalived ]; then
    ip netns exec $ns keepalived -n -l -C -f $t/keepalived.conf -p /tmp/ka-$d.pid -c /tmp/kac-$d.pid --vrrp_pid /tmp/kav-$d.pid > $out/$d.log 2>&1 & k=$!
  else
    ip netns exec $ns $PWD/.build/debug/lvsd -n -l -f $t/keepalived.conf -p /tmp/l-$d.pid --control-socket /tmp/l-$d.sock > $out/$d.log 2>&1 & k=$!
  fi
  # Ready once the checkers are activated (lvsd's debug build starts slowly in the emulated VM).
  for i in $(seq 1 120); do
    log=$(<$out/$d.log); [[ $log == *"Starting lvsd:"* || $log == *"Activating healthchecker"* ]] && break; sleep 0.5
  done
  if [ $d = keepalived ]; then
    sleep 20; ip netns exec $ns ipvsadm -Sn | sort > $out/$d.table
  else
    for i in $(seq 1 30); do
      ip netns exec $ns ipvsadm -Sn | sort > $out/$d.table
      cmp -s $out/$d.table $out/keepalived.table && break; sleep 1
    done
  fi
  sleep 5
  ip netns exec $ns ipvsadm -Sn | sort > $out/$d.table2
  kill $k; sleep 2; kill $e $s $n 2>/dev/null; wait 2>/dev/null
done
# The verdict: the three tables agree, hold for 5 s, and keepalived's lines for each checker are in every log.
rc=0
for d in lvsd lvsdping; do
  cmp -s $out/$d.table $out/keepalived.table || { echo "datagram-checkers: $d table differs from keepalived's"; rc=1; }
done
for d in lvsd lvsdping keepalived; do
  cmp -s $out/$d.table $out/$d.table2 || { echo "datagram-checkers: $d table changed"; rc=1; }
  for l in "UDP_CHECK on service [10.10.0.3]:udp:5001 failed." "UDP_CHECK on service [10.10.0.4]:udp:5002 failed." \
           "DNS_CHECK ([10.10.0.6]:udp:53) read error occurred. (rcode = 5)" "ICMP CHECK on service [10.10.9.9]:tcp:80 failed."; do
    grep -qF "$l" $out/$d.log || { echo "datagram-checkers: $d did not log: $l"; rc=1; }
  done
done
grep -q -- "-r 10.10.0.4:5003" $out/lvsd.table || { echo "datagram-checkers: expected table missing entries"; rc=1; }
echo "datagram-checkers: rc=$rc"
exit $rc
