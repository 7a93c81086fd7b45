# Sourced by scripts/lab and scripts/test: build the kernel once and install it into the
# project's Python environment (.venv), so both commands work from a fresh clone.
#
# Honours CARGO_TARGET_DIR (CI keeps its build cache outside the clone) and VENV (default .venv).

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TARGET_DIR="$TARGET_DIR"

say() { printf '\n==> %s\n' "$*"; }

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "error: \`$1\` is not installed. $2" >&2
    exit 1
  }
}

# python_env REQUIREMENTS...: creates .venv if needed and installs the pinned requirements.
python_env() {
  need python3 "Install Python 3.10 or newer (e.g. apt-get install python3 python3-venv)."
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating the Python environment in $VENV"
    python3 -m venv "$VENV"
  fi
  say "installing Python packages: $*"
  local args=()
  for requirements in "$@"; do args+=(-r "$ROOT/$requirements"); done
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${args[@]}"
}

# build_workspace: one release build of every target of the workspace (locked to Cargo.lock).
# Building all targets at once resolves features once, so `cargo test --release` and the
# kernel binary reuse the same compiled dependencies instead of building evcxr twice.
build_workspace() {
  need cargo "Install Rust with rustup (https://rustup.rs); the toolchain in rust-toolchain.toml is fetched automatically."
  say "building the workspace (release; the first build takes 15-20 minutes on 2 cores)"
  (cd "$ROOT" && cargo build --release --locked --workspace --all-targets)
}

# install_kernel: puts the binary into the environment, registers the kernelspec there and
# prebuilds the linfa stack (once per kernel version; ~2 minutes on 2 cores, then reused from
# $REPRONOTE_CACHE, default ~/.cache/repronote).
install_kernel() {
  say "installing the linfa kernelspec into $VENV and prebuilding the linfa stack"
  install -m 0755 "$TARGET_DIR/release/repronote" "$VENV/bin/repronote"
  install -m 0755 "$TARGET_DIR/release/linfa-export" "$VENV/bin/linfa-export"
  VIRTUAL_ENV="$VENV" "$VENV/bin/repronote" install --sys-prefix
}
