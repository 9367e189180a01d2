#!/usr/bin/env bash
# Builds every task to a raw .wasm and stages it for the site as tasks/<name>.wasm, with
# tasks/index.json listing them. Trunk runs this as a pre_build hook (TRUNK_STAGING_DIR set);
# run by hand it writes to target/task-site/tasks.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The root target dir: Trunk's watcher ignores it, and the tasks share its dependency builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/../target}"
target="$CARGO_TARGET_DIR"
out="${TRUNK_STAGING_DIR:-$target/task-site}/tasks"

cargo build --quiet --release --target wasm32-unknown-unknown --manifest-path "$here/Cargo.toml"

mkdir -p "$out"
names=()
for manifest in "$here"/*/Cargo.toml; do
  grep -q 'crate-type = \["cdylib"\]' "$manifest" || continue
  name="$(basename "$(dirname "$manifest")")"
  cp "$target/wasm32-unknown-unknown/release/${name//-/_}.wasm" "$out/$name.wasm"
  names+=("\"$name\"")
done
# A module no compiler would emit: the wasm magic and version, then a truncated section.
printf '\0asm\1\0\0\0\1\377' > "$out/bad-malformed.wasm"
names+=('"bad-malformed"')
(IFS=,; printf '{"tasks":[%s]}\n' "${names[*]}") > "$out/index.json"
