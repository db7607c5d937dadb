#!/usr/bin/env bash
# The whole test suite, as CI runs it (the README's test command): installs what is
# missing, then every test of the workspace under nextest's `ci` profile. Extra arguments
# go to nextest, e.g. `bash scripts/test.sh -E 'test(/^moto_canary::/)'`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
VENV="${CREDGUARD_VENV:-$HOME/.cache/credguard/venv}"
# The real STS peer (daemon/tests/support/moto.rs); under CI=true a missing one fails.
export CREDGUARD_MOTO_SERVER="$VENV/bin/moto_server"
export CREDGUARD_MOTO_PYTHON="$VENV/bin/python"
# `fake-clock`: the daemon binary the tests spawn honours CREDGUARD_FAKE_CLOCK_FILE (the
# notification tests move time forward); what users install is built without it.
cargo nextest run --workspace --features credguard-daemon/fake-clock --profile ci "$@"
