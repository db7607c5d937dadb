#!/usr/bin/env bash
# The Debian package, target/debian/credguard_<version>_<arch>.deb (cargo-deb; its
# contents are [package.metadata.deb] in daemon/Cargo.toml), checked with lintian (no
# error allowed). Needs a release build: minutes the first time (LTO), so CI does not
# run it on every change.
#   bash scripts/deb.sh            # build and lint
#   bash scripts/deb.sh --check    # then, as root: dpkg -i, both binaries' --version,
#                                  # systemd-analyze --user verify on the installed
#                                  # units, dpkg -r (and nothing left in /usr/bin)
# Installs cargo-deb and lintian when missing (lintian with apt-get, sudo unless root).
set -euo pipefail
cd "$(dirname "$0")/.."
CHECK=0
[ "${1:-}" = --check ] && CHECK=1
# the metadata names target/ paths: the package is built in this workspace's target dir
unset CARGO_TARGET_DIR

SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
if ! cargo deb --version >/dev/null 2>&1; then
    echo "deb: installing cargo-deb"
    cargo install cargo-deb --locked </dev/null
fi
if ! command -v lintian >/dev/null 2>&1; then
    echo "deb: installing lintian"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends lintian </dev/null
fi

cargo build --release --locked -p credguard-daemon --bin credguardd
# the client static, as scripts/install.sh builds it (the prompt runs it)
cargo rustc --release --locked -p credguard-client --bin credguard -- -C target-feature=+crt-static

version="$(target/release/credguardd --version | awk '{print $2}')"
assets=target/deb-assets
mkdir -p "$assets"
sed 's|^ExecStart=::CREDGUARDD::$|ExecStart=/usr/bin/credguardd|' systemd/credguard.service \
    >"$assets/credguard.service"
grep -qx 'ExecStart=/usr/bin/credguardd' "$assets/credguard.service"
target/release/credguard man | gzip -9n >"$assets/credguard.1.gz"
target/release/credguardd man | gzip -9n >"$assets/credguardd.1.gz"
# a Debian changelog entry for this version (dated by the last commit: reproducible)
date="$(git log -1 --format=%cD 2>/dev/null || date -R)"
printf 'credguard (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- credguard maintainers <dev@credguard.invalid>  %s\n' \
    "$version" "$version" "$date" >"$assets/changelog"

# cargo-deb prints the path of the package it wrote
deb="$(cargo deb -p credguard-daemon --no-build | tail -n 1)"
echo "deb: $deb"
dpkg-deb --contents "$deb"
echo "deb: lintian"
lintian --fail-on error --info "$deb"

if [ "$CHECK" = 1 ]; then
    "${SUDO[@]}" dpkg -i "$deb"
    /usr/bin/credguard --version
    /usr/bin/credguardd --version
    verify="$(cd /tmp && systemd-analyze --user verify /usr/lib/systemd/user/credguard.socket /usr/lib/systemd/user/credguard.service 2>&1 || echo "systemd-analyze failed")"
    [ -z "$verify" ] || { echo "deb: systemd-analyze --user verify: $verify" >&2; exit 1; }
    echo "deb: systemd-analyze --user verify: no output"
    "${SUDO[@]}" dpkg -r credguard
    for f in /usr/bin/credguard /usr/bin/credguardd /usr/lib/systemd/user/credguard.service; do
        [ ! -e "$f" ] || { echo "deb: $f is left after dpkg -r" >&2; exit 1; }
    done
    echo "deb: installed, run, verified and removed"
fi
