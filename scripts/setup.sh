#!/usr/bin/env bash
# Installs what the test suite needs, idempotently and without prompts:
# Debian packages (real shells, tmux, notification daemon, systemd's verifier) and a
# Python venv with moto's STS server. Safe to run again: it only installs what is missing.
set -euo pipefail

VENV="${CREDGUARD_VENV:-$HOME/.cache/credguard/venv}"
MOTO_VERSION="5.2.5"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

packages=(zsh fish tmux bash shellcheck dunst xvfb xauth dbus dbus-x11 libnotify-bin systemd python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: Debian packages present"
fi

if [ ! -x "$VENV/bin/moto_server" ]; then
  echo "setup: creating $VENV with moto[server]==$MOTO_VERSION"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "moto[server]==$MOTO_VERSION" boto3
else
  echo "setup: moto venv present at $VENV"
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "setup: installing cargo-nextest"
  cargo install cargo-nextest --locked
fi
