#!/usr/bin/env bash
# Installs what the test suite needs, idempotently and without prompts (no stdin needed):
#  - Debian packages: real shells (zsh, fish, bash) and tmux to drive them, shellcheck,
#    a notification daemon (dunst) under Xvfb and a D-Bus session, systemd's verifier,
#    Python's venv, faketime (a clock set back for one command), and for the Debian
#    package (scripts/deb.sh) dpkg-dev (dpkg-shlibdeps) and lintian;
#  - a Python venv with moto's STS server, boto3 (the real STS peer of the tests) and the
#    AWS CLI (the tests run the fixes credguard prints with it), at
#    ${CREDGUARD_VENV:-$HOME/.cache/credguard/venv};
#  - cargo-nextest.
# On a warm machine it installs nothing and takes well under a second. Uses sudo only
# when not root.
set -euo pipefail

VENV="${CREDGUARD_VENV:-$HOME/.cache/credguard/venv}"
MOTO_VERSION="5.2.5"
BOTO3_VERSION="1.44.5"
AWSCLI_VERSION="1.46.3"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup: not root and no sudo: cannot install Debian packages" >&2; exit 1; }
  SUDO=(sudo)
fi

packages=(zsh fish tmux bash shellcheck dunst xvfb xauth dbus dbus-x11 libnotify-bin systemd
  python3 python3-venv ca-certificates faketime dpkg-dev lintian)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: apt-get update, then installing: ${missing[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" </dev/null
else
  echo "setup: Debian packages present (${packages[*]})"
fi

# The venv counts as present when its moto is the pinned version and boto3 imports.
moto_ok() {
  [ -x "$VENV/bin/moto_server" ] && [ -x "$VENV/bin/python" ] &&
    [ "$("$VENV/bin/python" -c 'import boto3, importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" = "$MOTO_VERSION" ]
}
if moto_ok; then
  echo "setup: moto $MOTO_VERSION venv present at $VENV"
else
  # Debian's interpreter when there is one, so the venv does not hang on a version manager.
  PY=python3
  [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
  echo "setup: creating $VENV ($PY) with moto[server]==$MOTO_VERSION boto3==$BOTO3_VERSION"
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv --clear "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-input \
    "moto[server]==$MOTO_VERSION" "boto3==$BOTO3_VERSION" </dev/null
  moto_ok || { echo "setup: moto venv at $VENV is not usable after install" >&2; exit 1; }
fi
# The AWS CLI beside moto: the tests run the fixes credguard prints with it.
if [ -x "$VENV/bin/aws" ]; then
  echo "setup: AWS CLI present in $VENV"
else
  echo "setup: installing awscli==$AWSCLI_VERSION in $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-input \
    "awscli==$AWSCLI_VERSION" </dev/null
fi

if cargo nextest --version >/dev/null 2>&1; then
  echo "setup: cargo-nextest present"
else
  echo "setup: installing cargo-nextest"
  cargo install cargo-nextest --locked </dev/null
fi

# The js reader's oracles: @smithy/shared-ini-file-loader (the files) and
# @aws-sdk/credential-provider-node (the environment), pinned by its package-lock.json.
ORACLE_JS="$(cd "$(dirname "$0")/.." && pwd)/daemon/tests/oracles/js"
if [ -d "$ORACLE_JS/node_modules/@smithy/shared-ini-file-loader" ] &&
   [ -d "$ORACLE_JS/node_modules/@aws-sdk/credential-provider-node" ]; then
  echo "setup: js oracle present"
elif command -v npm >/dev/null 2>&1; then
  echo "setup: npm ci in $ORACLE_JS"
  (cd "$ORACLE_JS" && npm ci --no-audit --no-fund --silent </dev/null)
else
  echo "setup: npm missing: the js reader's oracle cannot be installed" >&2
  exit 1
fi
