#!/usr/bin/env bash
# setup.sh - prepare everything run-in-vm.sh needs (idempotent; run as root).
#  * apt-installs qemu + helper tools on the host
#  * downloads (NOT installs) the stock Debian kernel linux-image-amd64 and
#    extracts it into $VZKIT_VM_CACHE/kernel
#  * builds $VZKIT_VM_CACHE/initramfs.cpio.gz: static busybox + a tiny /init +
#    the kernel modules needed to mount the host over virtio-9p.
# Copied from ../shared/vm (the harness used during development) so that CI, which
# has no ../shared, can run the `vm` tests: scripts/run-vm-tests.sh calls it.
set -euo pipefail

CACHE=${VZKIT_VM_CACHE:-/var/tmp/vzkit-vm}
KPKG=${VZKIT_KERNEL_PKG:-linux-image-amd64}      # meta package to follow
mkdir -p "$CACHE"

# apt-get update once, and only when something needs the package lists (a fresh
# machine may have none; stale ones may name a kernel the mirror no longer has).
updated=0
apt_update() {
  ((updated)) && return 1
  echo "setup: apt-get update" >&2
  apt-get update -qq >&2
  updated=1
}

# --- 1. host packages (only those missing) --------------------------------
need=()
for p in qemu-system-x86 busybox-static kmod cpio e2fsprogs quota; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  echo "setup: apt-get install ${need[*]}" >&2
  apt_update || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# --- 2. kernel: resolve meta package -> versioned image, download, extract --
resolve() { apt-cache depends "$KPKG" 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'; }
img=$(resolve)
[[ -n $img ]] || { apt_update && img=$(resolve) || true; }
[[ -n $img ]] || { echo "setup: cannot resolve $KPKG" >&2; exit 1; }
if [[ ! -f $CACHE/kernel/.done-$img ]]; then
  echo "setup: downloading $img" >&2
  rm -rf "$CACHE/kernel" "$CACHE/dl"; mkdir -p "$CACHE/dl"
  download() { (cd "$CACHE/dl" && apt-get download "$img" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true); }
  download
  if ! ls "$CACHE"/dl/"$img"_*.deb >/dev/null 2>&1 && apt_update; then
    img=$(resolve); download
  fi
  deb=$(ls "$CACHE"/dl/"$img"_*.deb 2>/dev/null) || { echo "setup: apt-get download $img failed" >&2; exit 1; }
  dpkg-deb -x "$deb" "$CACHE/kernel"
  rm -rf "$CACHE/dl"
  touch "$CACHE/kernel/.done-$img"
fi
kver=$(ls "$CACHE/kernel/lib/modules" | head -n1)
depmod -b "$CACHE/kernel" "$kver"          # the .deb ships no modules.dep
ln -sfn "kernel/boot/vmlinuz-$kver" "$CACHE/vmlinuz"
echo "$kver" > "$CACHE/kver"

# --- 3. initramfs ------------------------------------------------------------
work=$(mktemp -d "$CACHE/initramfs.XXXXXX"); trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,lower,upper,newroot,ctl}
cp /bin/busybox "$work/bin/busybox"
mknod -m 600 "$work/dev/console" c 5 1 2>/dev/null || true
# dependency-ordered insmod list of the modules init needs
mods="virtio_pci 9pnet_virtio 9p overlay loop crc32c_generic crc32c_intel ext4 quota_v2 veth bridge"
for m in $mods; do
  modprobe -d "$CACHE/kernel" -S "$kver" --show-depends "$m" 2>/dev/null || true
done | awk '$1=="insmod" && !seen[$2]++ {print $2}' | while read -r ko; do
  rel=${ko#"$CACHE/kernel"}; mkdir -p "$work$(dirname "$rel")"; cp "$ko" "$work$rel"; echo "$rel"
done > "$work/modules.list"

# Stage 1: PID 1 in the initramfs. Builds the guest root and switch_roots.
cat > "$work/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin; export PATH=/bin
mount -t devtmpfs dev /dev; exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc; mount -t sysfs sys /sys
fail() { echo "VZKIT-FAIL: $*"; sync; poweroff -f; }
while read -r ko; do insmod "$ko" 2>/dev/null || true; done < /modules.list
o9p="trans=virtio,version=9p2000.L,msize=512000"
mount -t 9p -o "$o9p,cache=none" vzctl /ctl || fail "9p control share missing"
. /ctl/config     # VZ_SHARES ("tag:path ..."), VZ_TIMEOUT
# guest root = host / (read-only 9p) + tmpfs upper via overlayfs
mount -t 9p -o "$o9p,cache=loose,ro" vzroot /lower || fail "cannot 9p-mount host root"
mount -t tmpfs -o mode=755 upper /upper; mkdir -p /upper/u /upper/w
mount -t overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w vzroot /newroot || fail overlayfs
R=/newroot
# the Debian kernel's modules at the usual place so guest `modprobe X` works
kv=$(uname -r); mkdir -p $R/lib/modules/$kv
mount --bind "$R$VZ_KMODS" $R/lib/modules/$kv 2>/dev/null || true
mount -t proc proc $R/proc; mount -t sysfs sys $R/sys; mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm; mount -t devpts -o newinstance,ptmxmode=666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 shm $R/dev/shm
for d in tmp run; do mount -t tmpfs -o mode=1777 $d $R/$d; done; chmod 755 $R/run
mount -t cgroup2 -o nsdelegate cgroup2 $R/sys/fs/cgroup || fail "cgroup2 mount"
for c in $(cat $R/sys/fs/cgroup/cgroup.controllers); do echo "+$c" > $R/sys/fs/cgroup/cgroup.subtree_control; done
# read-write shares (working dir first) at their host paths
for s in $VZ_SHARES; do
  mkdir -p "$R${s#*:}"; mount -t 9p -o "$o9p,cache=mmap" "${s%%:*}" "$R${s#*:}" || fail "share $s"
done
mkdir -p $R/run/vzkit/ctl; mount --move /ctl $R/run/vzkit/ctl
cp /bin/busybox /stage2 $R/run/vzkit/
exec switch_root $R /run/vzkit/busybox sh /run/vzkit/stage2
EOF
# Stage 2: PID 1 in the guest root. Runs the command, records rc, powers off.
cat > "$work/stage2" <<'EOF'
BB=/run/vzkit/busybox; C=/run/vzkit/ctl
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
. $C/config
$BB hostname vzkit-vm; $BB ip link set lo up
$BB stty -onlcr 2>/dev/null; echo 1 > /proc/sys/kernel/printk   # quiet kernel
echo "VZKIT-BEGIN"
T=/usr/bin/timeout; [ -x $T ] || T="$BB timeout"   # coreutils: rc 124 on timeout
$T -k 5 $VZ_TIMEOUT /bin/bash $C/cmd </dev/null; rc=$?
echo "VZKIT-END rc=$rc"   # host strips it (even mid-line)
echo $rc > $C/rc; $BB sync; $BB poweroff -f
EOF
chmod +x "$work/init"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$CACHE/initramfs.cpio.gz.tmp"
mv "$CACHE/initramfs.cpio.gz.tmp" "$CACHE/initramfs.cpio.gz"
echo "setup: ready: kernel $kver, cache $CACHE ($(wc -l < "$work/modules.list") modules in initramfs)" >&2
