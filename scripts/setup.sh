#!/usr/bin/env bash
# Installs everything vzkit needs on a fresh Debian machine, idempotently:
# Debian packages, Node 24 (from the npm package node-linux-<arch>, no other download),
# pnpm, the workspace's dependencies, the build (TypeScript + the C launcher), and the
# vzctl/vzlist wrappers in /usr/local/bin.
# Re-running it is cheap: each step checks before it works, so a ready checkout takes
# a few seconds (mostly the incremental build).
#
# Any failure stops the script with one line naming the step and the command; with
# VZKIT_FAILURE_FILE set (.ci/run) that line is also written there. With
# VZKIT_TIMINGS_FILE set, `setup=<seconds>` is appended there.
# VZKIT_NO_PATH_INSTALL=1 skips the wrappers; VZKIT_FORCE_PATH_INSTALL=1 lets this
# checkout take them over from another one.
set -eEuo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
tools="$here/.tools"
started=$EPOCHREALTIME
log() { printf '[setup] %s\n' "$*" >&2; }

fail() {
  log "FAILED: $*"
  if [ -n "${VZKIT_FAILURE_FILE:-}" ]; then printf 'setup failed: %s\n' "$*" >>"$VZKIT_FAILURE_FILE"; fi
  exit 1
}
# Whatever fails without its own message still names itself. The trap also runs inside
# command substitutions (-E), so those that may fail end in `|| true`.
trap 'fail "line $LINENO: \`$BASH_COMMAND\` exited with status $?"' ERR

scratch=$(mktemp -d /tmp/vzkit-setup-XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# run STEP CMD...: runs CMD with its output shown; on failure names the step and command.
run() {
  local step=$1 rc=0
  shift
  "$@" || rc=$?
  [ "$rc" = 0 ] || fail "$step: \`$*\` exited with status $rc"
}
# quiet STEP CMD...: the same for noisy tools (apt, npm); their output is shown only on failure.
quiet() {
  local step=$1 out="$scratch/$1.log" rc=0
  shift
  "$@" >"$out" 2>&1 || rc=$?
  if [ "$rc" != 0 ]; then
    tail -n 40 "$out" >&2
    fail "$step: \`$*\` exited with status $rc (last 40 lines above)"
  fi
}

# Until this script has checked them, our own links may be stale or broken (the Makefile
# puts them first on PATH), and npm would run on them: leave them off PATH.
PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$tools/bin" | paste -sd: || true)

node_ok() { "$1" -e 'process.exit(+process.versions.node.split(".")[0] >= 24 ? 0 : 1)' 2>/dev/null; }
# The first Node 24 on PATH, else our own copy; resolved to the real binary, which is
# what .tools/bin/node will point at (never at another link).
NODE=""
for cand in $(type -ap node || true) "$tools/node/bin/node"; do
  real=$(readlink -f "$cand" 2>/dev/null || true)
  if [ -n "$real" ] && [ -x "$real" ] && node_ok "$real"; then NODE=$real; break; fi
done

# --- Debian packages -------------------------------------------------------
apt_pkgs=(busybox-static iproute2 nftables wrk e2fsprogs btrfs-progs lxcfs libseccomp-dev util-linux
          build-essential crun lxc procps psmisc mmdebstrap zstd openssh-client)
# npm only fetches Node 24; a machine that already has Node 24 or npm does not need it.
if [ -z "$NODE" ] && ! command -v npm >/dev/null; then apt_pkgs+=(npm); fi
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "apt: need root to install: ${missing[*]}"
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  quiet apt-update apt-get update -q
  quiet apt-install apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- Node 24 ---------------------------------------------------------------
if [ -z "$NODE" ]; then
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) fail "node: no node-linux package for $(uname -m); install Node 24 and re-run" ;;
  esac
  log "installing Node 24 from the npm package node-linux-$arch@24"
  quiet node npm install --no-save --no-audit --no-fund --prefix "$scratch/node-pkg" "node-linux-$arch@24"
  bin="$scratch/node-pkg/node_modules/node-linux-$arch/bin/node"
  node_ok "$bin" || fail "node: $bin from node-linux-$arch@24 is missing or not Node 24"
  # Replace the old copy only once the new one is known to work.
  mkdir -p "$scratch/node/bin" && cp "$bin" "$scratch/node/bin/node"
  rm -rf "$tools/node" && mkdir -p "$tools" && mv "$scratch/node" "$tools/node"
  NODE="$tools/node/bin/node"
fi
# link NAME TARGET: points .tools/bin/NAME at TARGET, leaving a correct link alone
# (other shells may be using it).
link() {
  [ "$(readlink "$tools/bin/$1" 2>/dev/null || true)" = "$2" ] || ln -sfn "$2" "$tools/bin/$1"
}
mkdir -p "$tools/bin"
link node "$NODE"
export PATH="$tools/bin:$PATH"

# --- pnpm ------------------------------------------------------------------
# The version package.json pins (packageManager), so every checkout builds alike.
PNPM_VERSION=$(sed -n 's/.*"packageManager": *"pnpm@\([^"+]*\).*/\1/p' package.json)
PNPM_VERSION=${PNPM_VERSION:-10.34.8}
pnpm_pkg="$tools/pnpm/node_modules/pnpm/package.json"
if ! grep -q "\"version\": *\"$PNPM_VERSION\"" "$pnpm_pkg" 2>/dev/null; then
  log "installing pnpm $PNPM_VERSION"
  quiet pnpm npm install --no-save --no-audit --no-fund --prefix "$tools/pnpm" "pnpm@$PNPM_VERSION"
fi
link pnpm "$tools/pnpm/node_modules/.bin/pnpm"

# --- workspace -------------------------------------------------------------
# Install again when a manifest changed since the last install.
stamp=node_modules/.modules.yaml
shopt -s nullglob
manifests=(pnpm-lock.yaml pnpm-workspace.yaml package.json packages/*/package.json examples/*/package.json)
shopt -u nullglob
if [ ! -f "$stamp" ] || [ -n "$(find "${manifests[@]}" -newer "$stamp" 2>/dev/null || true)" ]; then
  log "installing workspace dependencies"
  run install pnpm install --frozen-lockfile --reporter=append-only
  touch "$stamp"
fi

# The build stays loud: its output is the diagnosis when it fails.
log "building"
if ! pnpm run build; then
  fail "build: \`pnpm build\` failed (output above); it runs: $(node -p 'require("./package.json").scripts.build' || true)"
fi

# --- commands on PATH --------------------------------------------------------
# Administrators expect vzctl, vzlist, vzubc, vzcpucheck, vztmpl, vzquota, vz and the companion tools (vzpid,
# vzps, vztop, vzsplit, vzmemcheck, vzcalc, vzcfgvalidate, vzdump, vzrestore, vzprocfs), and vzkitd, on PATH; each wrapper
# pins one checkout and its Node. A throwaway clone (CI, a fresh-clone check) does not take
# them over from a checkout that still exists.
install_wrapper() {
  local cmd=$1 target="/usr/local/bin/$1" js="${2:-$here/packages/cli/dist/$1.js}" owner
  local marker="# vzkit wrapper for $here"
  if [ -e "$target" ]; then
    owner=$(sed -n 's/^# vzkit wrapper for //p' "$target")
    if [ -z "$owner" ]; then
      log "not replacing $target: it is not a vzkit wrapper"
      return
    fi
    if [ "$owner" != "$here" ] && [ -f "$owner/${js#"$here/"}" ] && [ "${VZKIT_FORCE_PATH_INSTALL:-}" != 1 ]; then
      log "$target stays with $owner (VZKIT_FORCE_PATH_INSTALL=1 to point it here)"
      return
    fi
  fi
  local body
  body=$(printf '#!/bin/sh\n%s\nexec "%s" "%s" "$@"\n' "$marker" "$tools/bin/node" "$js")
  [ -e "$target" ] && [ "$(cat "$target")" = "$body" ] && return
  printf '%s\n' "$body" >"$target.tmp.$$"
  chmod 755 "$target.tmp.$$" && mv "$target.tmp.$$" "$target"
  log "installed $target"
}
if [ "$(id -u)" = 0 ] && [ "${VZKIT_NO_PATH_INSTALL:-}" != 1 ]; then
  commands="vzctl vzlist vzubc vzcpucheck vztmpl vzquota vz vzpid vzps vztop vzsplit vzmemcheck vzcalc vzcfgvalidate vzdump vzrestore vzprocfs"
  missing=""
  for c in $commands; do [ -f "packages/cli/dist/$c.js" ] || missing="$missing $c.js"; done
  if [ -z "$missing" ]; then
    for c in $commands; do install_wrapper "$c"; done
  else
    log "packages/cli/dist lacks$missing: no wrappers installed"
  fi
  # The host daemon (docs/vzkitd.md); its systemd unit is in packages/cli/contrib.
  if [ -f packages/vzkitd/dist/vzkitd.js ]; then
    install_wrapper vzkitd "$here/packages/vzkitd/dist/vzkitd.js"
  else
    log "packages/vzkitd/dist lacks vzkitd.js: no vzkitd wrapper installed"
  fi
fi

elapsed=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
if [ -n "${VZKIT_TIMINGS_FILE:-}" ]; then printf 'setup=%s\n' "$elapsed" >>"$VZKIT_TIMINGS_FILE"; fi
log "ready in ${elapsed}s: node $(node --version), pnpm $(pnpm --version)"
