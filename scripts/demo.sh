#!/usr/bin/env bash
# `make demo`: one busybox VE from create to destroy, beside anything else on the host:
# its files live under a temporary VZKIT_ROOT and its cgroups below this script's own
# cgroup (@self/vzkit-demo-<pid>). Whatever happens, the trap stops and destroys the VE
# and removes the temporary root and the cgroup parent.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
node="$here/.tools/bin/node"
cli="$here/packages/cli/dist"
for f in "$node" "$cli/vzctl.js" "$cli/vzlist.js"; do
  if [ ! -e "$f" ]; then
    echo "[demo] $f is missing: run 'make setup' (the CLI is built by 'pnpm build')" >&2
    exit 1
  fi
done
if [ "$(id -u)" != 0 ]; then
  echo "[demo] needs root (namespaces, mounts, cgroups)" >&2
  exit 1
fi

root=$(mktemp -d /tmp/vzkit-demo-XXXXXX)
# Like /var/lib: the VE's root (an unprivileged host uid by default) must pass through to its VE_ROOT.
chmod 711 "$root"
parent="vzkit-demo-$$"
export VZKIT_ROOT="$root" VZKIT_CGROUP_PARENT="@self/$parent"
# Any CTID works inside a private root; a rare one keeps host-wide names (links, lxcfs)
# apart from other VEs.
ctid=${VZKIT_DEMO_CTID:-$((900000 + $$ % 100000))}

vzctl() { "$node" "$cli/vzctl.js" "$@"; }
vzubc() { "$node" "$cli/vzubc.js" "$@"; }
vzlist() { "$node" "$cli/vzlist.js" "$@"; }
show() {
  printf '\n$ %s\n' "$*"
  "$@"
}

# The demo's cgroup parent in each hierarchy: our own cgroup there (from /proc/self/cgroup,
# relative to the mount's root) plus $parent.
parent_dirs() {
  awk -v name="$parent" '
    FILENAME == "/proc/self/cgroup" {
      split($0, f, ":"); own[f[2]] = substr($0, length(f[1]) + length(f[2]) + 3); next
    }
    {
      sep = 0; for (i = 1; i <= NF; i++) if ($i == "-") { sep = i; break }
      type = $(sep + 1); if (type != "cgroup" && type != "cgroup2") next
      mroot = $4; mpoint = $5; n = split($(sep + 3), opts, ",")
      for (key in own) {
        if (type == "cgroup2") { if (key != "") continue }
        else {
          if (key == "") continue
          m = split(key, want, ","); hit = 0
          for (j = 1; j <= m; j++) for (k = 1; k <= n; k++) if (opts[k] == want[j]) hit++
          if (hit != m) continue
        }
        path = own[key]
        if (mroot != "/") { if (index(path, mroot) != 1) continue; path = substr(path, length(mroot) + 1) }
        sub(/\/$/, "", path)
        print mpoint path "/" name
      }
    }' /proc/self/cgroup /proc/self/mountinfo
}

mounts_under() { awk -v r="$1" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo; }

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  set +e # clean up as much as possible, whatever fails
  if [ "$status" != 0 ]; then echo "[demo] failed (status $status); cleaning up" >&2; fi
  if [ -e "$root/etc/vzkit/conf/$ctid.conf" ]; then
    vzctl stop "$ctid" --fast >/dev/null 2>&1
    vzctl destroy "$ctid" >/dev/null 2>&1
  fi
  # Only processes left in the demo's own cgroups are killed: they are the VE's.
  local dir d pid left=0
  for dir in $(parent_dirs); do
    [ -d "$dir" ] || continue
    for d in $(find "$dir" -depth -type d); do
      for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
      for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$d" 2>/dev/null && break; sleep 0.2; done
      if [ -d "$d" ]; then echo "[demo] could not remove cgroup $d" >&2; left=1; fi
    done
  done
  # Mounts the VE left on the host side, deepest first; never delete through a mount.
  local m
  for m in $(mounts_under "$root" | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done
  if [ -n "$(mounts_under "$root")" ]; then
    echo "[demo] mounts remain under $root; left it in place" >&2
    left=1
  else
    rm -rf "$root"
  fi
  if [ "$left" = 0 ]; then echo "[demo] cleaned up: $root and @self/$parent are gone" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "[demo] VZKIT_ROOT=$VZKIT_ROOT VZKIT_CGROUP_PARENT=$VZKIT_CGROUP_PARENT CTID=$ctid"
show vzctl create "$ctid" --ostemplate busybox --hostname demo
show vzctl start "$ctid"
show vzctl exec "$ctid" ps axf
show vzctl exec "$ctid" hostname
show vzctl set "$ctid" --ram 128M --numproc 100 --cpulimit 50
show vzctl exec "$ctid" 'grep MemTotal /proc/meminfo'
show vzubc "$ctid"
show vzlist -a
show vzlist -a -o ctid,kind,local_uid,hostname
show vzctl stop "$ctid"
show vzctl destroy "$ctid"
