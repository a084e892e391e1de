#!/bin/sh
# Fact 1: wrr with weights 4,3,2 (rs1, rs2, rs3 added in that order with
# ipvsadm -a), 18 connections that each close at once (busybox wget), LVS-DR.
# Shows the real kernel's pick order: rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1, twice.
# Adapted from the reference scheduler lab, with the one case fixed.
#   bash kernel/run.sh kernel/facts/wrr-432.sh 120
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

MAXRS=8
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

NRS=0   # real servers created so far (rs1..rsNRS, 10.0.0.11..)
ensure_rs() {  # ensure_rs N: create rs1..rsN
    while [ $NRS -lt "$1" ]; do
        NRS=$((NRS + 1)); rs=rs$NRS
        mkns $rs
        nsx $rs sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
        nsx $rs sysctl -qw net.ipv4.conf.default.arp_ignore=1 net.ipv4.conf.default.arp_announce=2
        lan $rs "$(printf '02:00:0a:00:00:%02x' $((10 + NRS)))" 10.0.0.$((10 + NRS))/24
        nsx $rs ip route add default via 10.0.0.1
        mkdir -p /tmp/www-$rs
        echo "$rs" >/tmp/www-$rs/index.html
        nsx $rs httpd -p 80 -h /tmp/www-$rs
    done
}

# per-server "ip active inact" lines of the one service
counters() { nsx director ipvsadm -Ln -t $VIP:80 | awk '$1 == "->" && $2 != "RemoteAddress:Port" { split($2, a, ":"); print a[1], $5, $6 }'; }
total() { counters | awk '{ s += $2 + $3 } END { print s + 0 }'; }
name_of() { echo "rs$(( ${1##*.} - 10 ))"; }   # 10.0.0.12 -> rs2

run_case() {  # run_case SCHED WEIGHTS K PATTERN
    sched=$1 weights=$2 k=$3 pattern=$4
    n=$(echo "$weights" | tr ',' '\n' | grep -c .)
    [ "$n" -le $MAXRS ] || { echo "at most $MAXRS servers"; return 1; }
    ensure_rs "$n"
    CASE=$((CASE + 1)); VIP=10.0.0.$((100 + CASE))
    nsx director ip addr add $VIP/32 dev eth0
    for j in $(seq 1 $NRS); do nsx rs$j ip addr add $VIP/32 dev lo; done
    nsx director ipvsadm -A -t $VIP:80 -s "$sched"
    i=0
    for w in $(echo "$weights" | tr ',' ' '); do
        i=$((i + 1))
        nsx director ipvsadm -a -t $VIP:80 -r 10.0.0.$((10 + i)):80 -g -w "$w"
    done
    echo "=== scheduler $sched, weights $weights (rs1..rs$n = 10.0.0.11.., added in this order), $k connections, pattern $pattern, VIP $VIP"
    order=""
    c=0
    while [ $c -lt "$k" ]; do
        c=$((c + 1))
        # kind of this connection: character ((c-1) mod len) of the pattern
        plen=${#pattern}
        idx=$(( (c - 1) % plen + 1 ))
        kind=$(echo "$pattern" | cut -c$idx)
        counters >/tmp/before
        t0=$(total)
        if [ "$kind" = h ]; then
            nsx client sh -c "sleep 3600 | nc $VIP 80 >/dev/null 2>&1" &
            body="(held open)"
            w=0
            while [ "$(total)" -le "$t0" ] && [ $w -lt 100 ]; do sleep 0.05; w=$((w + 1)); done
        else
            body=$(nsx client timeout 5 wget -q -O - http://$VIP/ 2>&1) || body="FAILED: $body"
        fi
        counters >/tmp/after
        # a held connection must be ESTABLISHED (ActiveConn) before the next one
        if [ "$kind" = h ]; then
            w=0
            until awk 'NR==FNR { a[$1] = $2; next } $2 > a[$1] { f = 1 } END { exit !f }' /tmp/before /tmp/after ||
                  [ $w -ge 100 ]; do
                sleep 0.05; w=$((w + 1)); counters >/tmp/after
            done
        fi
        picked=$(awk 'NR==FNR { a[$1] = $2 + $3; next } ($2 + $3) > a[$1] { print $1 }' /tmp/before /tmp/after)
        who=""
        for p in $picked; do who="$who$(name_of "$p")"; done
        [ -n "$who" ] || who="?"
        order="$order $who"
        state=$(awk '{ printf "%s%s=%d/%d", (NR > 1 ? " " : ""), "rs" (substr($1, length("10.0.0.") + 1) - 10), $2, $3 }' /tmp/after)
        printf 'conn %2d [%s] -> %-4s body=%-12s active/inact: %s\n' "$c" "$kind" "$who" "$body" "$state"
    done
    echo "order:$order"
    echo "$order" | tr ' ' '\n' | grep . | sort | uniq -c | awk '{ printf "  %s=%s", $2, $1 } END { print "" }'
    nsx director ipvsadm -Ln -t $VIP:80
    echo
}
CASE=0

run_case wrr 4,3,2 18 c
