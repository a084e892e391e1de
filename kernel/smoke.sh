#!/bin/sh
# Smoke lab for the kernel VM: proves the pieces `lvsim kernel-diff` relies on.
#   bash kernel/run.sh kernel/smoke.sh 120 [/path/to/stripped/lvsim]
# Two namespaces a (10.0.0.1) and b (10.0.0.2) on bridge br0 via veth pairs
# with fixed MACs, netem delay 1ms on a's eth0, a pcap of a ping written with
# tcpdump -w and printed with base64, ipvsadm, coreutils date/timeout,
# nsenter, and /lab/lvsim --version when the binary was passed as a FILE.
# Ends with "smoke: N passed, M failed"; exit 0 only when nothing failed.
set -u
pass=0 failed=0
ok()  { pass=$((pass + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() {  # check DESCRIPTION CMD...: pass when CMD exits 0 (its output shown on failure)
    _d="$1"; shift
    if "$@" >/tmp/check.out 2>&1; then ok "$_d"; else bad "$_d (exit $?)"; sed 's/^/     /' /tmp/check.out; fi
}
nsx() { _n="$1"; shift; ip netns exec "$_n" "$@"; }

echo "### environment"
echo "kernel $(uname -r), shell $(readlink /proc/$$/exe), cwd $(pwd)"
check "lab runs under dash" test "$(readlink /proc/$$/exe)" = /usr/bin/dash
t="$(date +%s.%N)"
echo "date +%s.%N -> $t"
check "date +%s.%N has nanoseconds" sh -c "echo '$t' | grep -Eq '^[0-9]+\.[0-9]{9}$'"
timeout 1 sleep 5; rc=$?
check "timeout 1 sleep 5 exits 124" test "$rc" = 124
check "ip_vs and every scheduler preloaded" sh -c '
    for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh \
             ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh xt_ipvs sch_netem; do
        grep -q "^$m " /proc/modules || { echo "$m not loaded"; exit 1; }
    done'

echo
echo "### topology: a 10.0.0.1 (02:00:0a:00:00:01) -- br0 -- b 10.0.0.2 (02:00:0a:00:00:02)"
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add br0 type bridge
ip link set br0 up
for spec in a:01 b:02; do
    n=${spec%:*}; h=${spec#*:}
    ip netns add $n
    nsx $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    nsx $n ip link set lo up
    ip link add v-$n type veth peer name eth0 netns $n
    ip link set v-$n master br0 up
    nsx $n ip link set eth0 address 02:00:0a:00:00:$h
    nsx $n ip addr add 10.0.0.$((h + 0))/24 dev eth0
    nsx $n ip link set eth0 up
done
check "fixed MAC on b's eth0" sh -c 'ip netns exec b ip -br link show eth0 | grep -q 02:00:0a:00:00:02'
check "nsenter --net=/run/netns/a sees 10.0.0.1" sh -c 'nsenter --net=/run/netns/a ip -br addr show eth0 | grep -q 10.0.0.1/24'
check "tc qdisc add dev eth0 root netem delay 1ms (in a)" nsx a tc qdisc add dev eth0 root netem delay 1ms
nsx a tc qdisc show dev eth0

echo
echo "### capture: tcpdump --immediate-mode -U -w smoke.pcap -i br0 while a pings b"
tcpdump -i br0 -n --immediate-mode -U -w smoke.pcap >/tmp/td.out 2>&1 &
TD=$!
k=0
until grep -q 'listening on' /tmp/td.out; do
    k=$((k + 1)); [ $k -gt 200 ] && break
    sleep 0.05
done
nsx a ping -c 3 -i 0.2 10.0.0.2 | tee /tmp/ping.out
sleep 0.2
kill -INT $TD; wait $TD
cat /tmp/td.out; ls -ln smoke.pcap
check "ping a -> b: 3 replies" grep -q '3 packets received' /tmp/ping.out
rtt="$(sed -n 's|.*min/avg/max = \([0-9.]*\)/.*|\1|p' /tmp/ping.out)"
check "netem delay shows: min rtt $rtt ms >= 1 ms" awk "BEGIN {exit !(\"$rtt\" + 0 >= 1.0)}"
check "pcap written (tcpdump -r reads >= 8 packets)" sh -c '[ "$(tcpdump -r smoke.pcap -n 2>/dev/null | wc -l)" -ge 8 ]'
tcpdump -r smoke.pcap -n -e 2>/dev/null
echo "--- base64 smoke.pcap ($(stat -c %s smoke.pcap) bytes)"
base64 smoke.pcap
echo "--- end base64"
check "base64 round trip" sh -c 'base64 smoke.pcap | base64 -d | cmp - smoke.pcap'

echo
echo "### ipvsadm (in b)"
nsx b ipvsadm -A -t 10.0.0.100:80 -s mh
nsx b ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.1:80 -g -w 1
nsx b ipvsadm -Ln | tee /tmp/ipvs.out
check "ipvsadm -Ln lists the mh service" grep -q 'TCP  10.0.0.100:80 mh' /tmp/ipvs.out

echo
echo "### a binary passed as FILE"
if [ -e /lab/lvsim ]; then
    check "/lab/lvsim is executable" test -x /lab/lvsim
    /lab/lvsim --version; rc=$?
    check "/lab/lvsim --version exits 0" test "$rc" = 0
else
    echo "skip: no /lab/lvsim (pass a stripped lvsim binary as FILE)"
fi

echo
echo "smoke: $pass passed, $failed failed"
[ "$failed" = 0 ]
