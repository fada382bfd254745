# Installs what the server and its tests need, only when it is missing. Sourced by start.sh and test.sh.

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to run: $*" >&2; return 1; fi
}

ensure_bun() {
  if command -v bun >/dev/null; then return; fi
  echo "==> installing Bun from npm" >&2
  if ! npm install -g bun@1.4.5 >&2; then
    # Without root, npm's global prefix is not writable: install under $HOME instead.
    npm install -g --prefix "$HOME/.local" bun@1.4.5 >&2
    export PATH="$HOME/.local/bin:$PATH"
  fi
  command -v bun >/dev/null || { echo "Bun did not install" >&2; return 1; }
}

# ensure_apt PACKAGE… installs the Debian packages that are not installed yet.
ensure_apt() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return
  echo "==> installing ${missing[*]} from Debian" >&2
  as_root apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# ensure_arm64_emulation: on an x86-64 machine, qemu-user and the arm64 C/C++ runtime (Debian multiarch),
# so that the arm64 executable (bun run build:binary) runs here under emulation (tests/binary.test.ts).
ensure_arm64_emulation() {
  [ "$(uname -m)" = x86_64 ] || return 0
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "==> adding Debian's arm64 architecture (multiarch)" >&2
    as_root dpkg --add-architecture arm64 || return 1
  fi
  ensure_apt qemu-user-static libc6:arm64 libstdc++6:arm64
}

ensure_workspace() {
  bun install --frozen-lockfile >&2
}
