#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
VENV="${CREDGUARD_VENV:-$HOME/.cache/credguard/venv}"
export CREDGUARD_MOTO_SERVER="$VENV/bin/moto_server"
export CREDGUARD_MOTO_PYTHON="$VENV/bin/python"
cargo nextest run --workspace --profile ci "$@"
