#!/usr/bin/env bash
# run-in-vm.sh [--mem 2G] [--smp 2] [--timeout 600] [--share DIR]... [--env NAME[=VAL]]... [-v] -- COMMAND...
# Boots a throwaway QEMU VM (stock Debian kernel, see setup.sh) whose root is
# the host's / (read-only 9p + tmpfs overlay), with the current directory
# mounted read-write at the same path, and runs COMMAND there as root.
# Streams COMMAND's output (stdout+stderr merged) and exits with its code.
# Exit codes of the harness itself: 124 guest timeout, 125 VM failed/hung.
# (A copy of ../shared/vm/run-in-vm.sh; scripts/run-vm-tests.sh uses it in the test run.)
set -euo pipefail

CACHE=${VZKIT_VM_CACHE:-/var/tmp/vzkit-vm}
QEMU=${VZKIT_QEMU:-qemu-system-x86_64}
mem=2G; smp=2; tmo=600; verbose=0; envs=(PATH HOME LANG TERM)
shares=("$(pwd -P)")   # physical path of the working dir (no symlinks)
die() { echo "run-in-vm: $*" >&2; exit 125; }
while (($#)); do
  case $1 in
    --mem) mem=$2; shift 2;;   --smp) smp=$2; shift 2;;
    --timeout) tmo=$2; shift 2;;
    --share) shares+=("$(realpath "$2")"); shift 2;;
    --env) envs+=("$2"); shift 2;;
    -v|--verbose) verbose=1; shift;;
    --) shift; break;;
    *) die "unknown option $1 (usage: run-in-vm.sh [opts] -- COMMAND...)";;
  esac
done
(($#)) || die "no COMMAND given"
[[ $PWD != / ]] || die "refusing to share / read-write; cd into a project dir"
[[ -f $CACHE/initramfs.cpio.gz && -e $CACHE/vmlinuz ]] || die "cache $CACHE missing: run setup.sh"
kver=$(cat "$CACHE/kver")

# per-run control dir (shared rw as tag vzctl): config, cmd script, rc
run=$(mktemp -d "${TMPDIR:-/tmp}/vzkit-run.XXXXXX")
cleanup() { [[ -s $run/qemu.pid ]] && kill "$(cat "$run/qemu.pid")" 2>/dev/null; rm -rf "$run"; }
trap cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM   # never leave qemu behind
q() { printf '%q' "$1"; }
sharecfg=(); fsargs=(); model=passthrough; ((EUID == 0)) || model=none
for i in "${!shares[@]}"; do
  sharecfg+=("w$i:${shares[$i]}")
  fsargs+=(-fsdev "local,id=w$i,path=${shares[$i]},security_model=$model"
           -device "virtio-9p-pci,fsdev=w$i,mount_tag=w$i")
done
{ echo "VZ_SHARES=$(q "${sharecfg[*]}")"; echo "VZ_TIMEOUT=$(q "$tmo")"
  echo "VZ_KMODS=$(q "$(realpath "$CACHE/kernel/lib/modules/$kver")")"; } > "$run/config"
{ echo "cd $(q "$PWD") || exit 125"
  for e in "${envs[@]}"; do
    if [[ $e == *=* ]]; then echo "export ${e%%=*}=$(q "${e#*=}")"
    elif [[ -v $e ]]; then echo "export $e=$(q "${!e}")"; fi
  done
  printf 'exec'; printf ' %q' "$@"; echo; } > "$run/cmd"

# Boot. Host timeout = guest timeout + generous boot/shutdown allowance.
start=$SECONDS
{ timeout --foreground -k 5 $((tmo + ${VZKIT_BOOT_ALLOWANCE:-300})) "$QEMU" \
  -nographic -nodefaults -no-reboot -serial stdio -monitor none -pidfile "$run/qemu.pid" \
  -accel tcg,thread=multi -cpu max -m "$mem" -smp "$smp" \
  -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initramfs.cpio.gz" \
  -append "console=ttyS0 quiet panic=-1 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1" \
  -fsdev "local,id=vzroot,path=/,security_model=none,readonly=on,multidevs=remap" \
  -device virtio-9p-pci,fsdev=vzroot,mount_tag=vzroot \
  -fsdev "local,id=vzctl,path=$run,security_model=none" \
  -device virtio-9p-pci,fsdev=vzctl,mount_tag=vzctl \
  "${fsargs[@]}" </dev/null 2>"$run/qemu.err"; echo $? > "$run/qemu.rc"; } |
  awk -v logf="$run/console.log" -v verbose=$verbose '
    { sub(/\r$/, "") }
    !on && index($0, "VZKIT-BEGIN") { on = 1; next }   # may follow BIOS escape codes
    on && (i = index($0, "VZKIT-END rc=")) { if (i > 1) print substr($0, 1, i - 1); on = 0; next }
    on { print; fflush(); next }
    { print > logf; if (verbose) { print > "/dev/stderr" } }' &
wait $! || true     # in background so INT/TERM traps fire immediately
rm -f "$run/qemu.pid"; qrc=$(cat "$run/qemu.rc" 2>/dev/null || echo 125)
el=$((SECONDS - start))

if [[ -f $run/rc ]]; then
  rc=$(cat "$run/rc")
  ((rc != 124)) || echo "run-in-vm: command timed out after ${tmo}s (guest)" >&2
  ((verbose)) && echo "run-in-vm: rc=$rc, VM wall time ${el}s" >&2
  exit "$rc"
fi
((qrc == 124 || qrc == 137)) && echo "run-in-vm: VM hung/timed out after ${el}s (qemu killed)" >&2
echo "run-in-vm: VM failed before the command finished (qemu rc=$qrc, ${el}s). Console log:" >&2
tail -n 40 "$run/console.log" "$run/qemu.err" >&2 2>/dev/null || true
exit 125
