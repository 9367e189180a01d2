#!/usr/bin/env bash
# Sets up and runs every test: formatting and lints, cargo tests (real anvil chains), the
# contract artifact check, the release build of the site, then Playwright in Debian's chromium.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# Each step says how long the run has taken so far, so a slow step shows in CI's log.
started=$SECONDS
step() { printf '\n\033[1m== %s\033[0m (at %ds)\n' "$*" $((SECONDS - started)); }
tasks=(--manifest-path worker-tasks/Cargo.toml)

step "format"
cargo fmt --all --check
cargo fmt --all --check "${tasks[@]}"

step "lint"
cargo clippy --quiet --workspace --all-targets -- -D warnings
cargo clippy --quiet "${tasks[@]}" --workspace --target wasm32-unknown-unknown -- -D warnings

step "cargo tests"
cargo test --workspace

step "site (release build)"
trunk build --release --offline

step "playwright"
npx playwright test --config e2e/playwright.config.ts

step "done"
