#!/usr/bin/env bash
# kernel/setup.sh - build the real-kernel VM that kernel/run.sh boots.
#
# Idempotent.  Installs the host packages it needs (apt-get, only when missing),
# fetches Debian bookworm's stock 6.1 kernel package (the one linux-image-amd64
# depends on) with `apt-get download` and unpacks it with dpkg-deb -x (it is
# never installed), and builds an uncompressed initramfs: busybox, dash, the
# real networking tools with their libraries, the runtime libraries of a
# dynamically linked Rust binary, and the IPVS/netfilter/bridge/veth/netem
# modules.  Also extracts the ELF vmlinux so QEMU can boot it through PVH.
#
# Build dir: ${LVSIM_KERNEL_BUILD:-${TMPDIR:-/tmp}/lvsim-kernel}
#   kernel.deb vmlinuz vmlinux initramfs.cpio files.txt modules.txt kver stamp
#
# Env:
#   SKIP_APT=1           never apt-get install / update (missing tools: error)
#   FORCE=1              rebuild the initramfs even when up to date
#   LVSIM_KERNEL_KVER    pin a kernel ABI (e.g. 6.1.0-57-amd64) apt can download
#   LVSIM_KERNEL_DEB     use this linux-image-*.deb instead of apt-get download
#   EXTRA_BINS           more host binaries (with their libraries) to copy in
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="${LVSIM_KERNEL_BUILD:-${TMPDIR:-/tmp}/lvsim-kernel}"
mkdir -p "$BUILD"
BUILD="$(cd "$BUILD" && pwd)"
log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }
T0=$(date +%s.%N)

# one setup at a time per build dir (runs only read the finished files)
exec 9>"$BUILD/.lock"
flock -w 900 9 || die "another setup.sh holds $BUILD/.lock"

# ------------------------------------------------------------------ host packages
PKGS="qemu-system-x86 qemu-system-data ipvsadm busybox-static iproute2 tcpdump
      iputils-arping arptables iptables ethtool kmod cpio binutils coreutils
      util-linux findutils dash bash xz-utils"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    [ "${SKIP_APT:-0}" = 1 ] && die "missing packages:$missing (SKIP_APT=1 forbids apt-get)"
    log "apt-get install:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >"$BUILD/apt.log" 2>&1 || { tail -20 "$BUILD/apt.log" >&2; die "apt-get update failed"; }
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >>"$BUILD/apt.log" 2>&1 ||
        { tail -20 "$BUILD/apt.log" >&2; die "apt-get install failed"; }
fi

# ------------------------------------------------------------------ kernel package
if [ -n "${LVSIM_KERNEL_DEB:-}" ]; then
    [ -f "$LVSIM_KERNEL_DEB" ] || die "LVSIM_KERNEL_DEB=$LVSIM_KERNEL_DEB: no such file"
    pkg="$(dpkg-deb -f "$LVSIM_KERNEL_DEB" Package)"
    KVER="${pkg#linux-image-}"
    DEB="$LVSIM_KERNEL_DEB"
else
    KVER="${LVSIM_KERNEL_KVER:-}"
    resolve() {
        apt-cache depends linux-image-amd64 2>/dev/null |
            awk '/Depends: linux-image-[0-9]/ {sub("linux-image-", "", $2); print $2; exit}'
    }
    if [ -z "$KVER" ]; then
        KVER="$(resolve)"
        if [ -z "$KVER" ] && [ "${SKIP_APT:-0}" != 1 ]; then
            apt-get update -qq >/dev/null 2>&1 || true
            KVER="$(resolve)"
        fi
        # no apt lists (SKIP_APT=1, offline): keep the kernel we already have
        [ -n "$KVER" ] || KVER="$(cat "$BUILD/kernel.kver" 2>/dev/null || true)"
        [ -n "$KVER" ] || die "cannot resolve linux-image-amd64 -> linux-image-<version>"
    fi
    DEB="$BUILD/kernel.deb"
    if [ "$(cat "$BUILD/kernel.kver" 2>/dev/null)" != "$KVER" ] || [ ! -s "$DEB" ]; then
        log "apt-get download linux-image-$KVER"
        rm -rf "$BUILD/dl" && mkdir -p "$BUILD/dl"
        # apt fetches as user _apt when it can write there (no "unsandboxed" warning)
        id _apt >/dev/null 2>&1 && chown _apt "$BUILD/dl" 2>/dev/null || true
        ( cd "$BUILD/dl" && apt-get download -q "linux-image-$KVER" ) >&2 ||
            die "apt-get download linux-image-$KVER failed"
        mv "$BUILD"/dl/linux-image-"$KVER"_*.deb "$DEB"
        rm -rf "$BUILD/dl"
        echo "$KVER" >"$BUILD/kernel.kver"
    fi
fi

# ------------------------------------------------------------------ up to date?
SCRIPTS_SHA="$(cat "$HERE/setup.sh" "$HERE/init.sh" | sha256sum | cut -c1-16)"
STAMP="$SCRIPTS_SHA $KVER $(stat -c %s "$DEB") ${EXTRA_BINS:-}"
if [ "${FORCE:-0}" != 1 ] && [ "$(cat "$BUILD/stamp" 2>/dev/null)" = "$STAMP" ] &&
   [ -f "$BUILD/initramfs.cpio" ] && [ -f "$BUILD/vmlinux" ]; then
    log "up to date: kernel $KVER, initramfs $(du -h "$BUILD/initramfs.cpio" | cut -f1) in $BUILD (FORCE=1 rebuilds)"
    exit 0
fi
rm -f "$BUILD/stamp"

# ------------------------------------------------------------------ unpack the kernel
KROOT="$BUILD/kroot"
rm -rf "$KROOT"
mkdir -p "$KROOT"
trap 'rm -rf "$KROOT" "$BUILD/root"' EXIT
dpkg-deb -x "$DEB" "$KROOT"
VMLINUZ="$KROOT/boot/vmlinuz-$KVER"
MODDIR="$KROOT/lib/modules/$KVER"
[ -f "$VMLINUZ" ] || die "no $VMLINUZ in $DEB"
[ -d "$MODDIR" ] || die "no $MODDIR in $DEB"
depmod -b "$KROOT" "$KVER"

# ------------------------------------------------------------------ initramfs tree
R="$BUILD/root"
rm -rf "$R"
mkdir -p "$R"/usr/bin "$R"/usr/sbin "$R"/usr/lib/x86_64-linux-gnu "$R"/usr/lib64
ln -s usr/bin "$R/bin"; ln -s usr/sbin "$R/sbin"; ln -s usr/lib "$R/lib"; ln -s usr/lib64 "$R/lib64"
mkdir -p "$R"/{proc,sys,dev,run,tmp,etc,root,lab,var,mnt} "$R/etc/kvmlab"
ln -s ../run "$R/var/run"
chmod 1777 "$R/tmp" "$R/lab"

copy_file() {   # copy a host file (following symlinks) to the same path in the tree
    [ -e "$R$1" ] && return 0
    mkdir -p "$(dirname "$R$1")"
    cp -L "$1" "$R$1"
}
copy_elf() {    # an ELF file plus every library ldd lists
    local lib
    copy_file "$1"
    for lib in $(ldd "$1" 2>/dev/null | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i}'); do
        [ -e "$lib" ] && copy_file "$lib"
    done
    return 0
}

# busybox applets first; the real tools below replace some of them
cp /bin/busybox "$R/usr/bin/busybox"
for a in $("$R/usr/bin/busybox" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$R/usr/bin/$a"
done

# Real tools.  dash is /bin/sh: Debian's busybox-static shell prefers its own
# applets over $PATH (so `ip`, `tc`, `arping` would be busybox's), and so does
# any command a busybox applet starts; hence the coreutils/util-linux helpers.
TOOLS="dash bash ip bridge ss tc ipvsadm tcpdump arping arptables-legacy
       xtables-legacy-multi xtables-nft-multi kmod ethtool
       base64 date timeout env nohup stdbuf sleep stat
       xargs nsenter unshare setsid flock ${EXTRA_BINS:-}"
for t in $TOOLS; do
    p="$(command -v "$t" 2>/dev/null || true)"
    if [ -z "$p" ]; then
        for d in /usr/sbin /sbin /usr/bin /bin; do [ -x "$d/$t" ] && { p="$d/$t"; break; }; done
    fi
    [ -n "$p" ] || die "$t not found on the host"
    rp="$(readlink -f "$p")"
    for n in "$t" "$(basename "$rp")"; do
        rm -f "$R/usr/bin/$n" "$R/usr/sbin/$n"     # drop a busybox applet link of that name
    done
    copy_elf "$rp"
    [ "$(basename "$rp")" = "$t" ] || ln -sf "$(basename "$rp")" "$R$(dirname "$rp")/$t"
done
ln -sf dash "$R/usr/bin/sh"
# coreutils stdbuf preloads this
[ -f /usr/libexec/coreutils/libstdbuf.so ] && copy_file /usr/libexec/coreutils/libstdbuf.so

( cd "$R/usr/sbin"
  for n in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore \
           iptables-legacy iptables-legacy-save iptables-legacy-restore; do
      ln -sf xtables-legacy-multi "$n"
  done
  for n in iptables-nft iptables-nft-save iptables-nft-restore ip6tables-nft \
           arptables-nft arptables-nft-save arptables-nft-restore ebtables-nft ebtables; do
      ln -sf xtables-nft-multi "$n"
  done
  ln -sf arptables-legacy arptables
  for n in modprobe insmod rmmod lsmod depmod modinfo; do
      rm -f "$R/usr/bin/$n"; ln -sf ../bin/kmod "$n"
  done )

# dlopen()ed plugins: xtables extensions, tc's m_xt/q_atm and netem tables
for d in /usr/lib/x86_64-linux-gnu/xtables /usr/lib/x86_64-linux-gnu/tc; do
    [ -d "$d" ] || continue
    for f in "$d"/*; do
        case "$f" in *.so) copy_elf "$f" ;; *) copy_file "$f" ;; esac
    done
done

# what a dynamically linked Rust binary (lvsim) needs: ldd lists
# libgcc_s.so.1 libm.so.6 libc.so.6 ld-linux-x86-64.so.2; the glibc stubs are cheap
for lib in libgcc_s.so.1 libm.so.6 libc.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libutil.so.1; do
    [ -e "/lib/x86_64-linux-gnu/$lib" ] && copy_file "/lib/x86_64-linux-gnu/$lib"
done
copy_file /lib64/ld-linux-x86-64.so.2

# config files
for f in /etc/protocols /etc/services /etc/ethertypes /etc/iproute2/rt_tables \
         /etc/iproute2/rt_protos /etc/iproute2/rt_scopes /etc/iproute2/rt_realms \
         /etc/iproute2/ematch_map /etc/iproute2/group; do
    [ -f "$f" ] && copy_file "$f"
done
[ -d /usr/share/iproute2 ] && { mkdir -p "$R/usr/share"; cp -a /usr/share/iproute2 "$R/usr/share/"; }
cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
tcpdump:x:100:101:tcpdump:/nonexistent:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$R/etc/group" <<'EOF'
root:x:0:
tcpdump:x:101:
nogroup:x:65534:
EOF
echo "hosts: files" >"$R/etc/nsswitch.conf"
echo "127.0.0.1 localhost" >"$R/etc/hosts"
: >"$R/etc/fstab"

# ------------------------------------------------------------------ modules
PRELOAD="ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh
         ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh
         veth bridge ipip arp_tables arptable_filter arpt_mangle
         iptable_filter iptable_nat iptable_mangle xt_mark xt_ipvs sch_netem"
# shipped too, loadable on demand (modprobe, or the kernel's auto-load)
SHIP="kernel/net/netfilter kernel/net/ipv4/netfilter kernel/net/ipv6/netfilter
      kernel/net/bridge kernel/net/8021q kernel/net/sched
      kernel/net/ipv4/ipip.ko kernel/net/ipv4/tunnel4.ko kernel/net/ipv4/ip_tunnel.ko
      kernel/net/ipv4/gre.ko kernel/net/ipv4/ip_gre.ko kernel/net/ipv4/udp_tunnel.ko
      kernel/net/ipv4/fou.ko kernel/net/ipv4/inet_diag.ko kernel/net/ipv4/tcp_diag.ko
      kernel/net/ipv4/udp_diag.ko kernel/net/ipv4/raw_diag.ko
      kernel/net/ipv6/tunnel6.ko kernel/net/ipv6/ip6_tunnel.ko kernel/net/ipv6/sit.ko
      kernel/net/packet/af_packet_diag.ko
      kernel/drivers/net/veth.ko kernel/drivers/net/dummy.ko kernel/drivers/net/macvlan.ko
      kernel/drivers/net/ipvlan kernel/drivers/net/vxlan kernel/drivers/net/ifb.ko"
names="$PRELOAD"
for g in $SHIP; do
    [ -e "$MODDIR/$g" ] || continue
    for f in $(find "$MODDIR/$g" -name '*.ko*'); do
        b="$(basename "$f")"; names="$names ${b%%.ko*}"
    done
done
for m in $PRELOAD; do
    modprobe -d "$KROOT" -S "$KVER" --show-depends "$m" >/dev/null 2>&1 || die "module $m not found in $KVER"
done
# every module plus its dependencies and softdeps, as paths
# shellcheck disable=SC2086
for m in $(printf '%s\n' $names | sort -u); do
    modprobe -d "$KROOT" -S "$KVER" --show-depends --ignore-install "$m" 2>/dev/null |
        awk '$1 == "insmod" {print $2}'
done | sort -u >"$BUILD/modfiles.txt"
RMOD="$R/lib/modules/$KVER"
nmod=0
while read -r f; do
    rel="${f#"$MODDIR"/}"
    mkdir -p "$RMOD/$(dirname "$rel")"
    case "$f" in
        *.ko.xz)  xz -dc "$f" >"$RMOD/${rel%.xz}" ;;
        *.ko.zst) zstd -qdc "$f" >"$RMOD/${rel%.zst}" ;;
        *.ko.gz)  gzip -dc "$f" >"$RMOD/${rel%.gz}" ;;
        *)        cp "$f" "$RMOD/$rel" ;;
    esac
    nmod=$((nmod + 1))
done <"$BUILD/modfiles.txt"
for f in modules.order modules.builtin modules.builtin.modinfo; do
    [ -f "$MODDIR/$f" ] && cp "$MODDIR/$f" "$RMOD/"
done
depmod -b "$R" "$KVER"
# shellcheck disable=SC2086
printf '%s\n' $PRELOAD >"$R/etc/kvmlab/preload"
echo "$KVER" >"$R/etc/kvmlab/kver"
( cd "$RMOD" && find . -name '*.ko' | sed 's|.*/||; s|\.ko$||' | sort ) >"$BUILD/modules.txt"

cp "$HERE/init.sh" "$R/init"
chmod 755 "$R/init"

# every ELF has its libraries
bad=0
while read -r f; do
    head -c4 "$f" | grep -q ELF || continue
    for lib in $(ldd "$f" 2>/dev/null | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i}'); do
        [ -e "$R$lib" ] || { log "missing $lib for ${f#"$R"}"; bad=1; }
    done
done < <(find "$R/usr/bin" "$R/usr/sbin" -type f)
[ "$bad" = 0 ] || die "initramfs is missing libraries"
# the shells and tools the labs rely on really run (host check of the same files)
for t in dash base64 date timeout nsenter tcpdump tc ipvsadm; do
    [ -x "$R/usr/bin/$t" ] || [ -x "$R/usr/sbin/$t" ] || die "$t missing from the initramfs"
done

# ------------------------------------------------------------------ pack (atomic renames)
( cd "$R" && find . -mindepth 1 | LC_ALL=C sort ) >"$BUILD/files.txt"
( cd "$R" && cpio -o -H newc --quiet -R 0:0 <"$BUILD/files.txt" ) >"$BUILD/initramfs.cpio.tmp"
cp "$VMLINUZ" "$BUILD/vmlinuz.tmp"
# The ELF vmlinux inside the bzImage (xz): QEMU boots it through its PVH entry
# point, skipping the BIOS real-mode setup and the in-guest xz step (~4 s on TCG).
rm -f "$BUILD/vmlinux.tmp"
for off in $(LC_ALL=C grep -aboP '\xfd7zXZ\x00' "$VMLINUZ" | cut -d: -f1); do
    tail -c +$((off + 1)) "$VMLINUZ" | xz -dc 2>/dev/null >"$BUILD/vmlinux.tmp" || true
    [ "$(head -c 4 "$BUILD/vmlinux.tmp" | od -An -c | tr -d ' ')" = '177ELF' ] && break
    rm -f "$BUILD/vmlinux.tmp"
done
[ -f "$BUILD/vmlinux.tmp" ] || die "could not extract the ELF vmlinux from $VMLINUZ"
mv "$BUILD/vmlinux.tmp" "$BUILD/vmlinux"
mv "$BUILD/vmlinuz.tmp" "$BUILD/vmlinuz"
mv "$BUILD/initramfs.cpio.tmp" "$BUILD/initramfs.cpio"
echo "$KVER" >"$BUILD/kver"
echo "$SCRIPTS_SHA" >"$BUILD/scripts.sha"
echo "$STAMP" >"$BUILD/stamp"

T1=$(date +%s.%N)
log "kernel $KVER, $nmod modules, initramfs $(du -h "$BUILD/initramfs.cpio" | cut -f1), $(awk "BEGIN {printf \"%.1f\", $T1 - $T0}") s"
log "build dir: $BUILD"
