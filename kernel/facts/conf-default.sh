#!/bin/sh
# Fact 4: when does net.ipv4.conf.default.arp_ignore reach an interface?
#
# Each case is a "real server" namespace with eth0 (a veth on br0), RIP on eth0 and
# a VIP on lo (its own per case: 10.0.0.101..104), arp_ignore left at 0 on `all`. Only the order of
# `sysctl -w net.ipv4.conf.default.arp_ignore=1` changes:
#   created-after : default written, then eth0 created (copied at creation)
#   no-addr       : eth0 exists (created, no address yet), default written, then ip addr add
#   addressed     : eth0 exists and has its address, then default written
#   twice         : default=1 written, eth0 created, default=2 written, then ip addr add
#                   (does the second write reach an interface created after the first?)
# After each, `arping -I eth0 VIP` from the prober namespace shows who answers
# (an answer from the case's MAC = eth0 did not get arp_ignore=1), and the
# interface's own value is printed.
# Then the two settings lvsim models whose handler is not devinet_conf_proc:
# forwarding (devinet_sysctl_forward) and route_localnet (ipv4_doint_and_flush):
# does a write to default reach an existing interface without an address, and one
# created afterwards? And does ip_forward=1 reach an addressed interface?
# Last, for comparison, net.ipv4.neigh.default.locktime (neighbour parameters get the
# same "set" marking; neigh.default exists only in the initial namespace, so this
# part uses two veth pairs there): written before / after ip addr add.
#   bash kernel/run.sh kernel/facts/conf-default.sh 90
set -eu

nsx() { _n="$1"; shift; ip netns exec "$_n" "$@"; }
mkns() {
    ip netns add "$1"
    nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    nsx "$1" ip link set lo up
}
mkveth() {  # mkveth NS MAC: eth0 in NS, peer on br0, no address
    ip link add "v-$1" type veth peer name eth0 netns "$1"
    ip link set "v-$1" master br0 up
    nsx "$1" ip link set eth0 address "$2"
}
addr() {    # addr NS ADDR/LEN VIP
    nsx "$1" ip addr add "$2" dev eth0
    nsx "$1" ip link set eth0 up
    nsx "$1" ip addr add "$3"/32 dev lo
}
dflt() { nsx "$1" sysctl -qw net.ipv4.conf.default.arp_ignore="$2"; }

sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add br0 type bridge
ip link set br0 up
mkns prober
mkveth prober 02:00:0a:00:00:01
nsx prober ip addr add 10.0.0.1/24 dev eth0
nsx prober ip link set eth0 up

echo "initial: default.arp_ignore=$(sysctl -n net.ipv4.conf.default.arp_ignore)"

# created-after
mkns ca
dflt ca 1
mkveth ca 02:00:0a:00:00:0b
addr ca 10.0.0.11/24 10.0.0.101

# no-addr
mkns na
mkveth na 02:00:0a:00:00:0c
dflt na 1
addr na 10.0.0.12/24 10.0.0.102

# addressed
mkns ad
mkveth ad 02:00:0a:00:00:0d
addr ad 10.0.0.13/24 10.0.0.103
dflt ad 1

# twice
mkns tw
dflt tw 1
mkveth tw 02:00:0a:00:00:0e
dflt tw 2
addr tw 10.0.0.14/24 10.0.0.104

sleep 1
i=0
for n in ca na ad tw; do
    i=$((i + 1))
    echo "=== case $n: default.arp_ignore=$(nsx $n sysctl -n net.ipv4.conf.default.arp_ignore)" \
        "eth0.arp_ignore=$(nsx $n sysctl -n net.ipv4.conf.eth0.arp_ignore)" \
        "lo.arp_ignore=$(nsx $n sysctl -n net.ipv4.conf.lo.arp_ignore)" \
        "all.arp_ignore=$(nsx $n sysctl -n net.ipv4.conf.all.arp_ignore)"
    nsx $n ip -br addr show dev eth0
    echo "arping -I eth0 -c 2 -w 3 10.0.0.$((100 + i)) from prober (10.0.0.1); $n's eth0 MAC is 02:00:0a:00:00:$(printf %02x $((10 + i)))"
    nsx prober arping -I eth0 -c 2 -w 3 10.0.0.$((100 + i)) || :
done

echo
echo "=== forwarding and route_localnet written on default"
mkns hx
mkveth hx 02:00:0a:00:00:21
nsx hx sysctl -qw net.ipv4.conf.default.forwarding=1 net.ipv4.conf.default.route_localnet=1
nsx hx ip link add dummy0 type dummy
p() { echo "$1: default=$(nsx hx sysctl -n net.ipv4.conf.default.$2) eth0(existing, no address)=$(nsx hx sysctl -n net.ipv4.conf.eth0.$2) dummy0(created after)=$(nsx hx sysctl -n net.ipv4.conf.dummy0.$2)"; }
p forwarding forwarding
p route_localnet route_localnet
mkns fw
mkveth fw 02:00:0a:00:00:22
nsx fw ip addr add 10.0.0.22/24 dev eth0
nsx fw sysctl -qw net.ipv4.ip_forward=1
echo "ip_forward=1 after ip addr add: all=$(nsx fw sysctl -n net.ipv4.conf.all.forwarding) default=$(nsx fw sysctl -n net.ipv4.conf.default.forwarding) eth0=$(nsx fw sysctl -n net.ipv4.conf.eth0.forwarding) lo=$(nsx fw sysctl -n net.ipv4.conf.lo.forwarding)"

echo
echo "=== neigh.default.locktime (initial namespace), initially $(sysctl -n net.ipv4.neigh.default.locktime)"
ip link add na0 type veth peer name na1
ip link add ad0 type veth peer name ad1
ip addr add 192.168.77.1/24 dev ad0
sysctl -qw net.ipv4.neigh.default.locktime=50
ip addr add 192.168.78.1/24 dev na0
echo "no-addr  na0 (address added after the write): locktime=$(sysctl -n net.ipv4.neigh.na0.locktime)"
echo "addressed ad0 (address added before the write): locktime=$(sysctl -n net.ipv4.neigh.ad0.locktime)"
echo "never addressed na1: locktime=$(sysctl -n net.ipv4.neigh.na1.locktime)"
