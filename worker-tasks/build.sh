#!/usr/bin/env bash
# Builds every task to a raw .wasm and stages it for the site as tasks/<name>.wasm, with
# tasks/index.json listing them. Trunk runs this as a pre_build hook (TRUNK_STAGING_DIR set);
# run by hand it writes to worker-tasks/dist.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${TRUNK_STAGING_DIR:-$here/dist}/tasks"
target="${CARGO_TARGET_DIR:-$here/target}"

cargo build --quiet --release --target wasm32-unknown-unknown --manifest-path "$here/Cargo.toml"

mkdir -p "$out"
names=()
for manifest in "$here"/*/Cargo.toml; do
  grep -q 'crate-type = \["cdylib"\]' "$manifest" || continue
  name="$(basename "$(dirname "$manifest")")"
  cp "$target/wasm32-unknown-unknown/release/${name//-/_}.wasm" "$out/$name.wasm"
  names+=("\"$name\"")
done
(IFS=,; printf '{"tasks":[%s]}\n' "${names[*]}") > "$out/index.json"
