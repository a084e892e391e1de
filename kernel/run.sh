#!/usr/bin/env bash
# kernel/run.sh LAB.sh [TIMEOUT] [FILE...]
#
# Boots the real Linux kernel built by kernel/setup.sh in QEMU, runs LAB.sh
# inside as /lab/lab.sh (dash, cwd /lab, stdin /dev/null, stdout+stderr
# merged) and powers off.  Each FILE is copied into /lab/ under its base name,
# keeping its mode (an executable stays executable).  Libraries an ELF FILE
# needs that the initramfs lacks are added at the same paths.
#
# Prints the lab's output between
#   ===== KVMLAB OUTPUT BEGIN =====
#   ===== KVMLAB OUTPUT END rc=N =====
# (KVMLAB_RAW=1: the bytes alone, unchanged), status lines on stderr.
# Exit code: the lab's; 124 the lab ran longer than TIMEOUT seconds (default
# 60; what it printed so far is still shown); 125 harness or VM failure (no
# build, QEMU could not start, kernel panic, no result), explained on stderr.
#
# Env: LVSIM_KERNEL_BUILD (build dir, default ${TMPDIR:-/tmp}/lvsim-kernel)
#      VM_MEM=512 (MiB, 128..1024)  VM_CPUS=1  ACCEL=auto|tcg|kvm
#      VERBOSE=1 (VM console on stderr)  KVMLAB_APPEND (extra kernel cmdline)
set -u

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="${LVSIM_KERNEL_BUILD:-${TMPDIR:-/tmp}/lvsim-kernel}"
say() { printf 'kvmlab: %s\n' "$*" >&2; }
fail() { printf 'kvmlab: ERROR: %s\n' "$*" >&2; exit 125; }

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    sed -n '2,20s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
    exit 125
fi
LAB="$1"; shift
TIMEOUT=60
if [ $# -ge 1 ]; then TIMEOUT="$1"; shift; fi
case "$TIMEOUT" in ''|*[!0-9]*|0) fail "TIMEOUT must be a positive number of seconds, not '$TIMEOUT'" ;; esac
[ -f "$LAB" ] || fail "no such lab script: $LAB"
VM_MEM="${VM_MEM:-512}"
VM_CPUS="${VM_CPUS:-1}"
case "$VM_MEM" in ''|*[!0-9]*) fail "VM_MEM must be MiB (128..1024)" ;; esac
[ "$VM_MEM" -ge 128 ] && [ "$VM_MEM" -le 1024 ] || fail "VM_MEM must be 128..1024 MiB, not $VM_MEM"
case "$VM_CPUS" in 1|2) ;; *) fail "VM_CPUS must be 1 or 2" ;; esac

command -v qemu-system-x86_64 >/dev/null 2>&1 ||
    fail "qemu-system-x86_64 is not installed: run kernel/setup.sh"
for f in initramfs.cpio vmlinux kver scripts.sha files.txt; do
    [ -f "$BUILD/$f" ] || fail "no VM build in $BUILD (missing $f): run kernel/setup.sh"
done
want="$(cat "$HERE/setup.sh" "$HERE/init.sh" | sha256sum | cut -c1-16)"
[ "$(cat "$BUILD/scripts.sha")" = "$want" ] ||
    fail "the VM build in $BUILD was made by another version of kernel/setup.sh or kernel/init.sh: run kernel/setup.sh"

RUN="$(mktemp -d "${TMPDIR:-/tmp}/lvsim-kernel-run.XXXXXX")" || fail "mktemp failed"
QPID=""
cleanup() {
    [ -n "$QPID" ] && kill "$QPID" 2>/dev/null
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ the lab cpio
# appended to the base initramfs; the kernel unpacks both
mkdir -p "$RUN/x/lab"
cp "$LAB" "$RUN/x/lab/lab.sh" && chmod 755 "$RUN/x/lab/lab.sh" || fail "cannot copy $LAB"
for f in "$@"; do
    [ -f "$f" ] || fail "no such file: $f"
    b="$(basename "$f")"
    [ ! -e "$RUN/x/lab/$b" ] || fail "two files would be /lab/$b"
    cp -p "$f" "$RUN/x/lab/$b" || fail "cannot copy $f"
    if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then
        for lib in $(ldd "$f" 2>/dev/null | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i}'); do
            d="$(readlink -f "$(dirname "$lib")")"
            p="$d/$(basename "$lib")"
            grep -qxF ".$p" "$BUILD/files.txt" && continue
            [ -e "$RUN/x$p" ] && continue
            mkdir -p "$RUN/x$d" && cp -L "$lib" "$RUN/x$p" || fail "cannot copy $lib for $f"
            say "adding $p (needed by $b, not in the initramfs)"
        done
    fi
done
( cd "$RUN/x" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 ) >"$RUN/lab.cpio" ||
    fail "cpio failed"

# take the build under a shared lock (setup.sh holds it exclusively while it works)
exec 8>>"$BUILD/.lock"
flock -s -w 900 8 || fail "kernel/setup.sh has held $BUILD/.lock for 15 min"
cat "$BUILD/initramfs.cpio" "$RUN/lab.cpio" >"$RUN/initrd" || fail "cannot write $RUN/initrd"
ln "$BUILD/vmlinux" "$RUN/vmlinux" 2>/dev/null || cp "$BUILD/vmlinux" "$RUN/vmlinux" || fail "cannot copy vmlinux"
KVER="$(cat "$BUILD/kver")"
flock -u 8
exec 8>&-

APPEND="console=ttyS0 quiet loglevel=1 panic=-1 oops=panic mitigations=off nokaslr tsc=reliable no_timer_check i8042.noaux i8042.nokbd kvmlab.timeout=$TIMEOUT ${KVMLAB_APPEND:-}"
BIOS=()
[ -f /usr/share/qemu/qboot.rom ] && BIOS=(-bios /usr/share/qemu/qboot.rom)

run_qemu() {  # $1 = kvm|tcg; host-side limit: TIMEOUT + margin
    local accel margin
    if [ "$1" = kvm ]; then accel=(-enable-kvm -cpu host); margin=60
    else accel=(-accel tcg,tb-size=256 -cpu max); margin=240; fi
    : >"$RUN/console.log"; : >"$RUN/out"; : >"$RUN/qemu.err"
    timeout -k 5 $((TIMEOUT + margin)) qemu-system-x86_64 \
        "${accel[@]}" -machine pc -smp "$VM_CPUS" -m "$VM_MEM" \
        -nographic -nodefaults -no-user-config -no-reboot -monitor none \
        "${BIOS[@]}" -kernel "$RUN/vmlinux" -initrd "$RUN/initrd" -append "$APPEND" \
        -serial "file:$RUN/console.log" -serial "file:$RUN/out" \
        -net none </dev/null >"$RUN/qemu.out" 2>"$RUN/qemu.err" &
    QPID=$!
    wait "$QPID" 2>>"$RUN/qemu.err"
    local qrc=$?
    QPID=""
    return $qrc
}
got_result() { [[ "$(tail -n 1 "$RUN/out" 2>/dev/null)" =~ ^@@KVMLAB-RC=([0-9]+)@@$ ]]; }

# ------------------------------------------------------------------ boot
# TCG unless a real KVM works: /dev/kvm from kvm_pvm (a software "KVM" without
# VT-x/AMD-V, as on this project's machines) cannot run the stock kernel.
ACCEL="${ACCEL:-auto}"
case "$ACCEL" in auto|kvm|tcg) ;; *) fail "ACCEL must be auto, kvm or tcg" ;; esac
used=""
if [ "$ACCEL" = kvm ] || { [ "$ACCEL" = auto ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; }; then
    t0=$(date +%s.%N)
    run_qemu kvm; qrc=$?; used=kvm
    if ! got_result && grep -qiE 'kvm|emulation failure' "$RUN/qemu.err"; then
        [ "$ACCEL" = kvm ] && fail "KVM failed: $(grep -iE 'kvm|emulation' "$RUN/qemu.err" | head -1)"
        say "KVM failed ($(grep -iE 'kvm|emulation' "$RUN/qemu.err" | head -1)); using TCG"
        used=""
    fi
fi
if [ -z "$used" ]; then
    t0=$(date +%s.%N)
    run_qemu tcg; qrc=$?; used=tcg
fi
secs=$(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $t0}")

# init's own notes ("kvmlab-init: ..."), e.g. a module that failed to load
tr -d '\r' <"$RUN/console.log" | grep '^kvmlab-init: ' | grep -v -e ' lab start at ' -e ' lab end at ' -e ' init at ' >&2
up() { tr -d '\r' <"$RUN/console.log" | sed -n "s/^kvmlab-init: $1 at uptime \\([0-9.]*\\) s.*/\\1/p"; }
init_at="$(up init)" start="$(up 'lab start')"

# ------------------------------------------------------------------ result: OUTPUT "\n@@KVMLAB-RC=N@@\n"
if got_result; then
    last="$(tail -n 1 "$RUN/out")"
    rc="${BASH_REMATCH[1]}"
    len=$(( $(stat -c %s "$RUN/out") - ${#last} - 2 ))
    [ "$len" -lt 0 ] && len=0
    if [ "${KVMLAB_RAW:-0}" = 1 ]; then
        head -c "$len" "$RUN/out"
    else
        echo "===== KVMLAB OUTPUT BEGIN ====="
        head -c "$len" "$RUN/out"
        [ "$len" -gt 0 ] && [ "$(head -c "$len" "$RUN/out" | tail -c 1 | wc -l)" -eq 0 ] && echo
        echo "===== KVMLAB OUTPUT END rc=$rc ====="
    fi
    say "accel=$used cpus=$VM_CPUS mem=${VM_MEM}M kernel=$KVER guest uptime at /init ${init_at:-?} s, at lab start ${start:-?} s, wall ${secs} s, rc=$rc"
    [ "$rc" = 124 ] && say "the lab was killed after ${TIMEOUT} s (timeout)"
else
    rc=125
    if grep -qa 'Kernel panic' "$RUN/console.log"; then
        say "ERROR: kernel panic (accel=$used, wall ${secs} s):"
        tr -d '\r' <"$RUN/console.log" | grep -a -E 'Kernel panic|BUG:|Oops|sysrq|RIP: 0010' | head -6 >&2
    elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
        say "ERROR: the VM did not finish within the host limit (TIMEOUT ${TIMEOUT} s + margin; accel=$used)"
    elif [ ! -s "$RUN/console.log" ]; then
        say "ERROR: ****************************************************************"
        say "ERROR: QEMU could not start (exit code $qrc, accel=$used)"
        say "ERROR: ****************************************************************"
    else
        say "ERROR: no result from the VM (qemu exit code $qrc, accel=$used, wall ${secs} s)"
    fi
    [ -s "$RUN/qemu.err" ] && { say "qemu stderr:"; tail -20 "$RUN/qemu.err" >&2; }
    if [ -s "$RUN/out" ]; then
        say "partial lab output:"
        head -c 4000 "$RUN/out" >&2; echo >&2
    fi
    if [ -s "$RUN/console.log" ]; then say "console tail:"; tail -30 "$RUN/console.log" | tr -d '\r' >&2; fi
fi
if [ "${VERBOSE:-0}" = 1 ]; then
    say "---- VM console ----"; tr -d '\r' <"$RUN/console.log" >&2; say "---- end of console ----"
fi
exit "$rc"
