#!/bin/sh
# /init of the lvsim kernel VM (runs as PID 1 under dash: /bin/sh is dash).
#
# Mounts the pseudo filesystems, preloads the IPVS lab modules, runs
# /lab/lab.sh under dash with cwd /lab (stdin /dev/null, stdout+stderr into a
# file), then sends that file over the second serial port (ttyS1) followed by
# "\n@@KVMLAB-RC=<exit code>@@\n", and powers off.  The kernel console (ttyS0)
# stays separate, so kernel messages never mix with the lab's output; this
# script's own notes go there too, as "kvmlab-init: ..." lines.
#
# Kernel command line: kvmlab.timeout=SECONDS  kvmlab.nopreload  kvmlab.debug
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C LC_ALL=C
umask 022
note() { echo "kvmlab-init: $*" >/dev/console; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
mkdir -p /run/netns
hostname kvmlab
ip link set lo up

T=60 PRELOAD=1
for w in $(cat /proc/cmdline); do
    case "$w" in
        kvmlab.timeout=*) T="${w#kvmlab.timeout=}" ;;
        kvmlab.nopreload) PRELOAD=0 ;;
        kvmlab.debug)     set -x ;;
    esac
done

note "init at uptime $(cut -d' ' -f1 /proc/uptime) s"
if [ "$PRELOAD" = 1 ]; then
    # shellcheck disable=SC2046
    modprobe -a $(cat /etc/kvmlab/preload) 2>/dev/null ||
        for m in $(cat /etc/kvmlab/preload); do
            modprobe "$m" 2>/dev/null || note "preload of module $m failed"
        done
fi

# the data channel: raw, so bytes arrive unchanged (no \n -> \r\n)
OUT=/dev/ttyS1
stty -F "$OUT" raw -echo 2>/dev/null || note "stty on $OUT failed"

chmod 1777 /lab
cd /lab || exit 1
note "lab start at uptime $(cut -d' ' -f1 /proc/uptime) s, timeout ${T} s"
rm -f /run/.kvmlab-timeout
dash /lab/lab.sh >/run/.kvmlab.out 2>&1 </dev/null &
LAB=$!
( sleep "$T"; : >/run/.kvmlab-timeout; kill -KILL "$LAB" ) </dev/null >/dev/null 2>&1 &
WATCH=$!
wait "$LAB"
rc=$?
kill "$WATCH" 2>/dev/null
if [ -e /run/.kvmlab-timeout ]; then
    rc=124
    echo "kvmlab: lab script killed after ${T}s (timeout)" >>/run/.kvmlab.out
fi
note "lab end at uptime $(cut -d' ' -f1 /proc/uptime) s, rc=$rc"
# end everything the lab left running (servers, tcpdump ...); init survives
kill -KILL -1 2>/dev/null
sleep 0.05

# one open and close of the tty: close() waits until the UART has drained
{ cat /run/.kvmlab.out; printf '\n@@KVMLAB-RC=%s@@\n' "$rc"; } >"$OUT"

poweroff -f
echo o >/proc/sysrq-trigger
sleep 5
