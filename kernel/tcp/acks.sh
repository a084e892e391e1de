#!/bin/sh
# TCP ACK lab for lvsim, run inside the kernel-vm (Linux 6.1):
#   bash kernel/run.sh kernel/tcp/acks.sh 120 /tmp/tcplab
# (tcplab = kernel/tcp/tcplab.rs, built with
#   rustc -O --edition 2021 -C target-feature=+crt-static -C strip=symbols -o /tmp/tcplab tcplab.rs)
#
#   netns cli 10.1.0.10 eth0 ==== veth ==== eth0 10.1.0.20 netns srv (tcplab server :80)
#
# To match lvsim's frames: TCP timestamps off (so the MSS is 1460 and the header 20 bytes,
# as lvsim has no TCP options) and gso_max_segs 1 on both ends, so every segment is its
# own skb on the wire, as on a NIC without TSO/GRO (veth would otherwise pass 64 KB GSO
# packets through). Everything else is the kernel's default. Each case is one
# connection (client port printed); the capture is on the client's eth0.
set -eu
nsx() { _n="$1"; shift; ip netns exec "$_n" "$@"; }
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in cli srv; do
    ip netns add $n
    nsx $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    nsx $n sysctl -qw net.ipv4.tcp_timestamps=0
    nsx $n ip link set lo up
done
ip link add eth0 netns cli type veth peer name eth0 netns srv
nsx cli ip addr add 10.1.0.10/24 dev eth0
nsx srv ip addr add 10.1.0.20/24 dev eth0
for n in cli srv; do
    nsx $n ip link set eth0 gso_max_segs 1
    nsx $n ip link set eth0 up
done
nsx cli ip -d link show eth0 | grep -o 'gso_max_size [0-9]* gso_max_segs [0-9]*' || :
nsx cli sh -c 'echo "tcp_rmem $(cat /proc/sys/net/ipv4/tcp_rmem) tcp_timestamps $(cat /proc/sys/net/ipv4/tcp_timestamps)"'
nsx cli ping -c1 -W2 10.1.0.20 >/dev/null   # ARP done before the captures

nsx srv /lab/tcplab server 80 &
sleep 0.3
nsx cli tcpdump -i eth0 -n -tt -l 'tcp' >/tmp/cap.txt 2>/tmp/cap.err &
TD=$!
k=0
until grep -q 'listening on' /tmp/cap.err 2>/dev/null; do
    k=$((k + 1)); [ $k -gt 100 ] && { echo "tcpdump did not start"; cat /tmp/cap.err; exit 1; }
    sleep 0.05
done

run() {  # run NAME REQ_LEN SPEC...
    name=$1; shift
    printf '%s: req=%s specs=%s: ' "$name" "$1" "$(shift; echo "$*")"
    t0=$(cut -d' ' -f1 /proc/uptime)
    nsx cli timeout 8 /lab/tcplab client 10.1.0.20:80 "$@" || echo "  (client failed: $?)"
    echo "  took $(echo "$(cut -d' ' -f1 /proc/uptime) $t0" | awk '{printf "%.3f", $1 - $2}') s"
    sleep 0.5   # let the close finish and any delayed ACK fire before the next case
}
run A-one-small        100 1000
run B-one-4seg         100 5000
run C-keepalive-small  100 1000 1000 1000 1000
run D-keepalive-4seg   100 5000 5000 5000
run E-one-28seg        100 40000
run F-slow-server      100 1000/60 1000/60 1000/60
run G-slow-client      100 1000/0/60 1000/0/60 1000
run H-3seg-request     3000 1000
run I-full-mss-request 1460 1000
run J-keepalive-20     100 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000
run K-slow-server-20   100 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50 1000/50
run L-pingpong-slow-server 100 1000 1000/60 1000
run M-pingpong-slow-client 100 1000 1000/0/60 1000
sleep 0.3
# SIGTERM: a background job of a non-interactive sh ignores SIGINT
kill -TERM $TD
sleep 0.5
kill -KILL $TD 2>/dev/null || :
echo
echo "### tcpdump -i eth0 -n -tt (client side)"
cat /tmp/cap.txt
grep -v -e '^listening on' -e 'verbose output suppressed' /tmp/cap.err | grep . || :
