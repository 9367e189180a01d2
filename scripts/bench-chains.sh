#!/usr/bin/env bash
# Prints the chain figures of issue 5: run → all results latency on 2 and 4 chains (median of
# 10) and gas per step, against real anvil chains with the devnet's relayer.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh
cargo run --quiet --release -p interplay-devnet --example bench-chains
