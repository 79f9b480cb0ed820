# Shared by scripts/up and scripts/test: checks for (and, on Debian as root or with sudo,
# installs) what Stratus needs beside Rust, with a clear message when it cannot.

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/stratus/target}"

say() { printf 'stratus: %s\n' "$*" >&2; }

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else return 1; fi
  fi
  command -v apt-get >/dev/null 2>&1 || return 1
  say "installing $* with apt-get"
  $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

need_cargo() {
  command -v cargo >/dev/null 2>&1 && return 0
  say "cargo is missing: install Rust from https://rustup.rs and run this again."
  exit 1
}

# pingora builds its zlib with cmake.
need_cmake() {
  command -v cmake >/dev/null 2>&1 && return 0
  apt_install cmake || { say "cmake is missing: pingora's build needs it (apt-get install cmake)."; exit 1; }
}

# Everything a build and the test suite need beside Rust.
need_all() {
  need_cargo
  need_cmake
  need_node
  need_python
}

# Node.js 18 or newer runs the nodejs20.x / nodejs22.x functions.
need_node() {
  if ! command -v node >/dev/null 2>&1; then
    apt_install nodejs || { say "node is missing: install Node.js 18 or newer (apt-get install nodejs)."; exit 1; }
  fi
  local major
  major=$(node -e 'process.stdout.write(process.versions.node.split(".")[0])')
  if [ "$major" -lt 18 ]; then
    say "node $(node --version) is too old: Node.js 18 or newer is needed."
    exit 1
  fi
}

# Python 3.9 or newer runs the python3.x functions.
need_python() {
  if ! command -v python3 >/dev/null 2>&1; then
    apt_install python3 || { say "python3 is missing: install Python 3.9 or newer (apt-get install python3)."; exit 1; }
  fi
  if ! python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)'; then
    say "$(python3 --version) is too old: Python 3.9 or newer is needed."
    exit 1
  fi
}
