#!/bin/sh
# Fact 5: a real server deleted (ipvsadm -d) and added again comes back from the
# kernel's dest trash with its counters.
#
# LVS-DR as examples/dr.sh, service VIP:80 -s rr with rs1 (10.0.0.11) then rs2
# (10.0.0.12) added. rr is newest first, so 4 connections go rs2 rs1 rs2 rs1; the
# pattern c h h c makes them rs2:closed rs1:held rs2:held rs1:closed, so rs1 has one
# ActiveConn (an ESTABLISHED nc) and one InActConn (a wget that ended in FIN_WAIT).
#   case A: rs1 deleted while those entries exist, listed, re-added with -w 1, listed.
#   case B: a second service VIP2:80 with rs1 only, tcpfin timeout set to 3 s before
#           its 2 closed connections; after they expired (-Lnc empty), rs1 deleted and
#           re-added: does a server without entries also come back with its counters?
# --stats is read 2.2 s after the last change (the 2-second estimator folds the
# per-CPU counters in).
#   bash kernel/run.sh kernel/facts/trash-readd.sh 120
set -eu
VIP=10.0.0.100
VIP2=10.0.0.101

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
for n in client router director rs1 rs2; do mkns "$n"; done
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
nsx director ip addr add $VIP/32 dev eth0
nsx director ip addr add $VIP2/32 dev eth0
nsx director ip route add default via 10.0.0.1
for spec in rs1:0b:11 rs2:0c:12; do
    rs=${spec%%:*}; mac=${spec#*:}; mac=${mac%%:*}; ip4=${spec##*:}
    nsx $rs sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
    nsx $rs sysctl -qw net.ipv4.conf.default.arp_ignore=1 net.ipv4.conf.default.arp_announce=2
    lan $rs 02:00:0a:00:00:$mac 10.0.0.$ip4/24
    nsx $rs ip addr add $VIP/32 dev lo
    nsx $rs ip addr add $VIP2/32 dev lo
    nsx $rs ip route add default via 10.0.0.1
    mkdir -p /tmp/www-$rs
    echo "$rs" >/tmp/www-$rs/index.html
    nsx $rs httpd -p 80 -h /tmp/www-$rs
done

show() {  # show TITLE SVC
    echo "### $1: ipvsadm -Ln -t $2"
    nsx director ipvsadm -Ln -t "$2"
}
stats() { # stats TITLE SVC
    sleep 2.2
    echo "### $1: ipvsadm -Ln --stats -t $2 (2.2 s later)"
    nsx director ipvsadm -Ln --stats -t "$2"
}
closed() { r=$(nsx client timeout 5 wget -q -O - "http://$1/" 2>&1) || r="FAILED: $r"; echo "closed conn to $1 -> $r"; }
held() {
    nsx client sh -c "sleep 3600 | nc $1 80 >/dev/null 2>&1" &
    sleep 0.5
    echo "held conn to $1"
}

echo "===== case A: delete + re-add while entries exist"
nsx director ipvsadm -A -t $VIP:80 -s rr
nsx director ipvsadm -a -t $VIP:80 -r 10.0.0.11:80 -g -w 1
nsx director ipvsadm -a -t $VIP:80 -r 10.0.0.12:80 -g -w 1
closed $VIP
held $VIP
held $VIP
closed $VIP
show "A before -d" $VIP:80
stats "A before -d" $VIP:80
echo "### A: ipvsadm -Lnc"
nsx director ipvsadm -Lnc
nsx director ipvsadm -d -t $VIP:80 -r 10.0.0.11:80
show "A after -d rs1" $VIP:80
nsx director ipvsadm -a -t $VIP:80 -r 10.0.0.11:80 -g -w 1
show "A after re-add rs1 -w 1" $VIP:80
stats "A after re-add rs1" $VIP:80
echo "### A: ipvsadm -Lnc after re-add"
nsx director ipvsadm -Lnc

echo
echo "===== case B: delete + re-add after the entries expired"
nsx director ipvsadm --set 0 3 0
nsx director ipvsadm -L --timeout
nsx director ipvsadm -A -t $VIP2:80 -s rr
nsx director ipvsadm -a -t $VIP2:80 -r 10.0.0.11:80 -g -w 1
closed $VIP2
closed $VIP2
show "B before -d" $VIP2:80
stats "B before -d" $VIP2:80
sleep 3
echo "### B: ipvsadm -Lnc -t $VIP2:80 entries after tcpfin 3 s (expect none):"
nsx director ipvsadm -Lnc | grep "$VIP2" || echo "(none)"
show "B entries gone" $VIP2:80
nsx director ipvsadm -d -t $VIP2:80 -r 10.0.0.11:80
show "B after -d rs1" $VIP2:80
nsx director ipvsadm -a -t $VIP2:80 -r 10.0.0.11:80 -g -w 1
show "B after re-add rs1" $VIP2:80
stats "B after re-add rs1" $VIP2:80
