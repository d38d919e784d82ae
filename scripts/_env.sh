# shellcheck shell=bash
# Shared by the scripts: where the Python >= 3.14.2 environment lives and how to run in it.
# Sourced, not executed.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="$REPO_ROOT/.cache"
CHROOT_DIR="$CACHE_DIR/py314root"
HOST_VENV="$REPO_ROOT/.venv"
MIN_PY="3.14.2"

# Prints the path of a host interpreter that is new enough, or nothing.
host_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.14 python3.15 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c "import sys; v=tuple(map(int,'$MIN_PY'.split('.'))); sys.exit(0 if sys.version_info[:3] >= v else 1)" 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# "host" when a host interpreter is used, "chroot" otherwise. The choice is remembered once made.
env_mode() {
  if [ -f "$CACHE_DIR/mode" ]; then
    cat "$CACHE_DIR/mode"
  elif host_python >/dev/null; then
    echo host
  else
    echo chroot
  fi
}

# Runs a command inside the environment, with the repository as the working directory.
# Environment variables named in PASS_ENV (space separated) are carried into the chroot.
in_env() {
  local mode
  mode="$(env_mode)"
  if [ "$mode" = host ]; then
    (cd "$REPO_ROOT" && PATH="$HOST_VENV/bin:$PATH" VIRTUAL_ENV="$HOST_VENV" "$@")
  else
    local envs=(PATH=/venv/bin:/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}")
    local name
    for name in CI PYTEST_ADDOPTS FLEET_EMULATOR_START ${PASS_ENV:-}; do
      if [ -n "${!name+x}" ]; then envs+=("$name=${!name}"); fi
    done
    local quoted
    quoted="$(printf '%q ' "$@")"
    unshare --mount --fork sh -c '
      set -e
      mount --bind "$1" "$2/src"
      mount -t proc proc "$2/proc"
      mount --rbind /dev "$2/dev" 2>/dev/null || true
      mount -t tmpfs tmpfs "$2/tmp"
      root="$2"
      shift 2
      exec chroot "$root" /usr/bin/env -i "$@"
    ' sh "$REPO_ROOT" "$CHROOT_DIR" "${envs[@]}" sh -c "cd /src && exec $quoted"
  fi
}

# The path of the repository as seen inside the environment.
env_repo_path() {
  if [ "$(env_mode)" = host ]; then echo "$REPO_ROOT"; else echo /src; fi
}
