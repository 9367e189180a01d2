#!/usr/bin/env bash
# Installs everything Interplay needs, idempotently: each step checks first and is skipped when
# its tool is already there at the right version. Only package registries are used.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

TRUNK_VERSION=0.21.14   # 0.22 needs a newer rustc than these machines have
say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
has_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qF "$2"; }

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust with rustup first" >&2; exit 1; }

# From outside the repo: inside it, rust-toolchain.toml asks for the wasm target, and rustup
# would satisfy that by updating the whole stable toolchain instead of adding one target.
if ! (cd / && rustup target list --installed --toolchain stable) | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  (cd / && rustup target add --toolchain stable wasm32-unknown-unknown)
fi

if ! has_version trunk "trunk $TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (several minutes, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# Trunk only uses a wasm-bindgen CLI whose version matches Cargo.lock exactly.
wbg_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if ! has_version wasm-bindgen "wasm-bindgen $wbg_version"; then
  say "installing wasm-bindgen-cli $wbg_version (matches Cargo.lock)"
  # Not --locked: its locked tree pins a webpki-roots the registry no longer has.
  cargo install wasm-bindgen-cli --version "$wbg_version" --force
fi

# npm: anvil, solc-js, Playwright. Reinstall only when package-lock.json changed.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat node_modules/.interplay-lock 2>/dev/null)" != "$lock_hash" ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.interplay-lock
fi

# Debian's chromium for Playwright (Playwright cannot download browsers here).
if [ ! -x /usr/bin/chromium ]; then
  say "installing chromium from Debian"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

say "ready (trunk $TRUNK_VERSION, wasm-bindgen $wbg_version, $(node_modules/.bin/anvil --version | head -1), $(/usr/bin/chromium --version 2>/dev/null))"
