#!/usr/bin/env bash
# Sets up and runs the playground: the devnet (2 anvil chains + manifest) and the app.
# Ctrl-C stops both and leaves no process behind.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

APP_PORT="${APP_PORT:-8080}"
ADMIN_PORT="${ADMIN_PORT:-8420}"
CHAINS="${CHAINS:-2}"
# Sub-second blocks, like Base's 200 ms preconfirmations: a run crosses chains in under a second.
BLOCK_TIME="${BLOCK_TIME:-0.2}"
# Steady, different base fees (gwei, chain by chain), so "pick the cheapest" has something to pick.
BASE_FEES="${BASE_FEES:-1,0.25,0.5,2}"

# Fail early and clearly if a playground (or anything else) already holds a port.
for port in "$APP_PORT" "$ADMIN_PORT" $(seq 9545 $((9545 + CHAINS - 1))); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "play: port $port is already in use (is the playground already running?)" >&2
    exit 1
  fi
done

echo "play: building the devnet"
cargo build --quiet -p interplay-devnet

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

target/debug/devnet --chains "$CHAINS" --block-time "$BLOCK_TIME" --base-fees "$BASE_FEES" --admin-port "$ADMIN_PORT" &
pids+=($!)
trunk serve --release --offline --no-autoreload --port "$APP_PORT" &
pids+=($!)

# Wait for both (a failing one ends the script, and the trap stops the other).
wait_for() {
  local url="$1" pid="$2"
  until curl -sf -o /dev/null "$url"; do
    kill -0 "$pid" 2>/dev/null || { echo "play: a server exited before $url answered" >&2; exit 1; }
    sleep 0.5
  done
}
wait_for "http://127.0.0.1:$ADMIN_PORT/manifest.json" "${pids[0]}"
wait_for "http://127.0.0.1:$APP_PORT/" "${pids[1]}"

cat <<MSG

  Interplay is running:  http://127.0.0.1:$APP_PORT/
  devnet manifest:       http://127.0.0.1:$ADMIN_PORT/manifest.json
  Ctrl-C stops everything.

MSG
wait -n "${pids[@]}"
