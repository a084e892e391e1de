#!/bin/sh
# Fact: keepalived 2.2.7's VRRP timing on Linux 6.1. Two directors on one bridge: d1
# (state MASTER, priority 150) and d2 (state BACKUP, priority 100), advert_int 1, one
# VIP; a third namespace records VRRP and ARP. Both start BACKUP ("Entering BACKUP STATE
# (init)"); d1 becomes MASTER after its master-down interval and sends 5 gratuitous ARPs,
# then 5 more 5 s later. d1's keepalived is killed with SIGKILL at about 7 s (silent, as
# a crash); d2 takes over 3 + (256 - 100)/256 s after the last advertisement it heard.
# Needs keepalived in the guest:
#   apt-get install keepalived; EXTRA_BINS=keepalived FORCE=1 bash kernel/setup.sh
#   bash kernel/run.sh kernel/facts/vrrp-takeover.sh 120
set -u
nsx() { _n="$1"; shift; ip netns exec "$_n" "$@"; }
ip link add br0 type bridge
ip link set br0 up
i=2
for n in d1 d2 obs; do
    ip netns add $n
    nsx $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    nsx $n ip link set lo up
    ip link add v-$n type veth peer name eth0 netns $n
    ip link set v-$n master br0 up
    nsx $n ip addr add 10.0.0.$i/24 dev eth0
    nsx $n ip link set eth0 up
    i=$((i + 1))
done
for p in "d1 MASTER 150" "d2 BACKUP 100"; do
    set -- $p
    cat > /tmp/$1.conf <<CONF
vrrp_instance VI_1 {
    state $2
    interface eth0
    virtual_router_id 51
    priority $3
    advert_int 1
    virtual_ipaddress {
        10.0.0.100/32 dev eth0
    }
}
CONF
done
nsx obs tcpdump -i eth0 -n -tt -e -l 'vrrp or arp' > /tmp/cap.txt 2>/dev/null &
sleep 1
for n in d1 d2; do
    nsx $n keepalived -n -l -D -P -f /tmp/$n.conf -p /tmp/$n.pid -r /tmp/$n.vrrp.pid > /tmp/$n.log 2>&1 &
done
sleep 7
kill -9 "$(cat /tmp/d1.vrrp.pid)" "$(cat /tmp/d1.pid)"
sleep 12
kill %1 2>/dev/null
sleep 1
for n in d1 d2; do
    echo "== $n"
    grep -E "Entering|timeout|VIPs" /tmp/$n.log | sed "s/^[A-Z][a-z][a-z] .* [0-9][0-9]:[0-9][0-9]:[0-9][0-9] [0-9]*: //"
done
echo "== capture (seconds, from the first frame)"
awk 'NR == 1 { t0 = $1 } { $1 = sprintf("%.6f", $1 - t0); print }' /tmp/cap.txt
echo "== d2"
nsx d2 ip -br addr show dev eth0
