#!/usr/bin/env bash
# The benchmarks (issue 8): figures printed beside baselines measured in the same run.
# Never fails on a figure. Installs what it needs (moto, and awscli for the anchor) into
# the project venv, then runs the release build of daemon/benches/bench.rs.
#   bash scripts/bench.sh            # everything, 60 s idle window
#   CREDGUARD_BENCH_IDLE_SECONDS=10 bash scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
VENV="${CREDGUARD_VENV:-$HOME/.cache/credguard/venv}"
if [ ! -x "$VENV/bin/aws" ]; then
    "$VENV/bin/pip" install --quiet awscli >&2 || echo "awscli not installed: the anchor is skipped" >&2
fi
export CREDGUARD_MOTO_SERVER="$VENV/bin/moto_server"
export CREDGUARD_MOTO_PYTHON="$VENV/bin/python"
export CREDGUARD_AWS_CLI="$VENV/bin/aws"
# the client binary the benchmark runs is the release one, built beside credguardd:
# statically linked, as the README installs it (the dynamic one is measured beside it)
cargo build --release --workspace --bins
cp target/release/credguard target/release/credguard-dynamic
export CREDGUARD_BENCH_DYNAMIC_CLIENT="$PWD/target/release/credguard-dynamic"
cargo rustc --release -p credguard-client --bin credguard -- -C target-feature=+crt-static
cargo bench -p credguard-daemon --bench bench "$@"
