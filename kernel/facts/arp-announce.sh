#!/bin/sh
# Fact 2: the sender IP of a DR real server's first ARP request for its gateway,
# under net.ipv4.conf.all.arp_announce = 0, 1 and 2.
#
# Setup as examples/dr.sh: router 10.0.0.1 on br0, director 10.0.0.2 + VIP,
# real server with RIP 10.0.0.1x/24 on eth0, VIP/32 on lo, arp_ignore=1, default
# route via 10.0.0.1. One case per arp_announce value, each with its own real
# server (rsA .11, rsB .12, rsC .13) and its own VIP (10.0.0.100/.101/.102), so no
# ARP state carries over. The client makes one connection; the real server's SYN-ACK
# (source VIP) is the packet queued while it resolves 10.0.0.1, and the capture
# shows the "who-has 10.0.0.1 tell X" it broadcasts (X = the sender IP).
#   bash kernel/run.sh kernel/facts/arp-announce.sh 90
set -eu

nsx() { _n="$1"; shift; ip netns exec "$_n" "$@"; }
mkns() {
    ip netns add "$1"
    nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    nsx "$1" ip link set lo up
}
lan() {
    ip link add "v-$1" type veth peer name eth0 netns "$1"
    ip link set "v-$1" master br0 up
    nsx "$1" ip link set eth0 address "$2"
    nsx "$1" ip addr add "$3" dev eth0
    nsx "$1" ip link set eth0 up
}

sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add br0 type bridge
ip link set br0 up
for n in client router director; do mkns "$n"; done
ip link add eth0 netns client type veth peer name eth1 netns router
nsx client ip link set eth0 address 02:00:ac:10:00:0a
nsx client ip addr add 172.16.0.10/24 dev eth0
nsx client ip link set eth0 up
nsx client ip route add default via 172.16.0.1
nsx router ip link set eth1 address 02:00:ac:10:00:01
nsx router ip addr add 172.16.0.1/24 dev eth1
nsx router ip link set eth1 up
nsx router sysctl -qw net.ipv4.ip_forward=1
lan router 02:00:0a:00:00:01 10.0.0.1/24
lan director 02:00:0a:00:00:02 10.0.0.2/24
nsx director ip route add default via 10.0.0.1

tcpdump -i br0 -e -n -l arp >/tmp/arp.txt 2>/tmp/arp.err &
TD=$!
k=0
until grep -q 'listening on' /tmp/arp.err 2>/dev/null; do
    k=$((k + 1)); [ $k -gt 100 ] && { echo "tcpdump did not start"; exit 1; }
    sleep 0.05
done

i=0
for ann in 0 1 2; do
    i=$((i + 1))
    rs=rs$(echo ABC | cut -c$i)
    rip=10.0.0.$((10 + i))
    vip=10.0.0.$((99 + i))
    mkns $rs
    nsx $rs sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=$ann
    lan $rs "$(printf '02:00:0a:00:00:%02x' $((10 + i)))" $rip/24
    nsx $rs ip addr add $vip/32 dev lo
    nsx $rs ip route add default via 10.0.0.1
    mkdir -p /tmp/www-$rs
    echo "$rs" >/tmp/www-$rs/index.html
    nsx $rs httpd -p 80 -h /tmp/www-$rs
    nsx director ip addr add $vip/32 dev eth0
    nsx director ipvsadm -A -t $vip:80 -s rr
    nsx director ipvsadm -a -t $vip:80 -r $rip:80 -g
    echo "=== case arp_announce=$ann: $rs RIP $rip, VIP $vip"
    echo "$rs: all.arp_announce=$(nsx $rs sysctl -n net.ipv4.conf.all.arp_announce) eth0.arp_announce=$(nsx $rs sysctl -n net.ipv4.conf.eth0.arp_announce)"
    echo "$rs: ip neigh before: $(nsx $rs ip neigh show | tr '\n' ';')"
    r=$(nsx client timeout 5 wget -q -O - http://$vip/ 2>&1) || r="FAILED: $r"
    echo "client -> $vip: $r"
    echo "$rs: ip neigh after: $(nsx $rs ip neigh show | tr '\n' ';')"
    echo "router: neigh for $vip: $(nsx router ip neigh show $vip)"
    sleep 0.3
done
kill -INT $TD
wait $TD || :
echo
echo "### tcpdump -e -n -i br0 arp"
cat /tmp/arp.txt
