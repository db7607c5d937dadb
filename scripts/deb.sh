#!/usr/bin/env bash
# The Debian package, target/debian/credguard_<version>_<arch>.deb, built with dpkg-deb
# from a staged tree (no cargo-deb to compile: dpkg-deb, dpkg-shlibdeps and lintian are
# Debian's own tools), then checked with lintian (no error allowed).
#   bash scripts/deb.sh            # build the release binaries (minutes the first time),
#                                  # stage, build and lint the package
#   bash scripts/deb.sh --check    # then, as root or with sudo: dpkg -i, both installed
#                                  # binaries' --version, the hooks parsed by their shells,
#                                  # systemd-analyze --user verify on the installed units,
#                                  # dpkg -r, and nothing of the package left in /usr
# .ci/run runs it with --check after its release build (which this one then reuses).
# What goes where: stage() below; the control fields and the copyright header are in
# packaging/.
set -euo pipefail
cd "$(dirname "$0")/.."
CHECK=0
case "${1:-}" in
    --check) CHECK=1 ;;
    "") ;;
    *) echo "usage: bash scripts/deb.sh [--check]" >&2; exit 2 ;;
esac
# the release binaries are read from this workspace's target dir
unset CARGO_TARGET_DIR
umask 022
SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)

say() { echo "deb: $*"; }
die() { echo "deb: $*" >&2; exit 1; }

for tool in dpkg-deb dpkg-shlibdeps lintian; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "$tool is missing: bash scripts/setup.sh installs it (packages dpkg-dev, lintian)"
done

# what the package installs, each as `source target mode` (targets under usr/); the
# files with ::CREDGUARD:: (hooks, status-bar snippets) and the unit get the installed
# paths filled in
ASSETS=(
    "target/release/credguardd usr/bin/credguardd 755"
    "target/release/credguard usr/bin/credguard 755"
    "systemd/credguard.service usr/lib/systemd/user/credguard.service 644"
    "systemd/credguard.socket usr/lib/systemd/user/credguard.socket 644"
    "shell/credguard.zsh usr/share/credguard/credguard.zsh 644"
    "shell/credguard.bash usr/share/credguard/credguard.bash 644"
    "shell/credguard.fish usr/share/credguard/credguard.fish 644"
    "shell/starship.toml usr/share/credguard/starship.toml 644"
    "shell/p10k.zsh usr/share/credguard/p10k.zsh 644"
    "shell/tmux.conf usr/share/credguard/tmux.conf 644"
    "shell/waybar.jsonc usr/share/credguard/waybar.jsonc 644"
    "shell/i3blocks.conf usr/share/credguard/i3blocks.conf 644"
    "shell/polybar.ini usr/share/credguard/polybar.ini 644"
    "shell/swiftbar.sh usr/share/credguard/swiftbar.sh 755"
    "shell/completions/_credguard usr/share/zsh/vendor-completions/_credguard 644"
    "shell/completions/credguard.bash usr/share/bash-completion/completions/credguard 644"
    "shell/completions/credguard.fish usr/share/fish/vendor_completions.d/credguard.fish 644"
    "packaging/lintian-overrides usr/share/lintian/overrides/credguard 644"
)

build() {
    cargo build --release --locked -p credguard-daemon --bin credguardd
    # the client static, as scripts/install.sh builds it (the prompt runs it)
    cargo rustc --release --locked -p credguard-client --bin credguard -- -C target-feature=+crt-static
}

# stage ROOT: the package's tree, without DEBIAN/
stage() {
    local root="$1" line src dst mode
    for line in "${ASSETS[@]}"; do
        read -r src dst mode <<<"$line"
        install -D -m "$mode" "$src" "$root/$dst"
    done
    sed -i 's|^ExecStart=::CREDGUARDD::$|ExecStart=/usr/bin/credguardd|' \
        "$root/usr/lib/systemd/user/credguard.service"
    grep -qx 'ExecStart=/usr/bin/credguardd' "$root/usr/lib/systemd/user/credguard.service" ||
        die "credguard.service: no ExecStart=::CREDGUARDD:: line to fill in"
    # what `credguard init` prints for a binary in /usr/bin (it quotes the path it fills
    # in; a path without spaces or quotes needs none inside the quotes already there)
    sed -i 's|::CREDGUARD::|/usr/bin/credguard|g' "$root"/usr/share/credguard/*
    if grep -rl '::CREDGUARDD\?::' "$root/usr/share" "$root/usr/lib"; then
        die "placeholders left in the files above"
    fi
    mkdir -p "$root/usr/share/man/man1" "$root/usr/share/doc/credguard"
    target/release/credguard man | gzip -9n >"$root/usr/share/man/man1/credguard.1.gz"
    target/release/credguardd man | gzip -9n >"$root/usr/share/man/man1/credguardd.1.gz"
    gzip -9n <README.md >"$root/usr/share/doc/credguard/README.md.gz"
    copyright >"$root/usr/share/doc/credguard/copyright"
    changelog | gzip -9n >"$root/usr/share/doc/credguard/changelog.gz"
    chmod 644 "$root"/usr/share/man/man1/* "$root"/usr/share/doc/credguard/*
}

# /usr/share/doc/credguard/copyright in Debian's machine-readable format: the header in
# packaging/, then LICENSE-MIT's text as the Expat licence's (each line indented, an
# empty line as " .")
copyright() {
    local holder
    holder="$(sed -n 's/^Copyright (c) //p' LICENSE-MIT | head -n 1)"
    [ -n "$holder" ] || die "LICENSE-MIT has no 'Copyright (c) ' line"
    sed "s|@COPYRIGHT@|$holder|" packaging/copyright.in
    sed -e 's/^$/./' -e 's/^/ /' LICENSE-MIT
}

# the Debian changelog: one entry for this version, dated by the last commit
# (reproducible; the date of now outside git)
changelog() {
    printf 'credguard (%s) unstable; urgency=medium\n\n  * Release %s: see README.md.\n\n -- credguard maintainers <dev@credguard.invalid>  %s\n' \
        "$VERSION" "$VERSION" "$(date -R -d "@$SOURCE_DATE_EPOCH")"
}

# the Depends line for the dynamically linked daemon (the client is static), as
# dpkg-shlibdeps computes it (it wants a debian/control to read: a minimal one)
depends() {
    local root="$1" work
    work="$(mktemp -d)"
    mkdir "$work/debian"
    printf 'Source: credguard\n\nPackage: credguard\nArchitecture: any\n' >"$work/debian/control"
    (cd "$work" && dpkg-shlibdeps -O "$root/usr/bin/credguardd") |
        sed -n 's/^shlibs:Depends=//p'
    rm -rf "$work"
}

# control ROOT: DEBIAN/control and DEBIAN/md5sums
control() {
    local root="$1" deps size
    deps="$(depends "$root")"
    [ -n "$deps" ] || die "dpkg-shlibdeps found no dependency of credguardd"
    size="$(du -s -k --apparent-size "$root/usr" | cut -f1)"
    mkdir -p "$root/DEBIAN"
    sed -e "s|@VERSION@|$VERSION|" -e "s|@ARCH@|$ARCH|" -e "s|@SIZE@|$size|" \
        -e "s|@DEPENDS@|$deps|" packaging/control >"$root/DEBIAN/control"
    (cd "$root" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) \
        >"$root/DEBIAN/md5sums"
    chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
}

# the package's paths, /usr/…, directories included
paths() { dpkg-deb --fsys-tarfile "$1" | tar -t | sed -n 's|^\./\(usr/.*[^/]\)/\{0,1\}$|/\1|p'; }

# check DEB: install it, run what it installed, remove it, and compare what is left
check() {
    local deb="$1" p before=() left=()
    if dpkg-query -W -f '${db:Status-Status}' credguard 2>/dev/null | grep -qv '^not-installed$'; then
        die "a credguard package is installed already: this check installs and removes its own (dpkg -r credguard first)"
    fi
    mapfile -t PATHS < <(paths "$deb")
    [ "${#PATHS[@]}" -gt 20 ] || die "$deb lists only ${#PATHS[@]} paths"
    for p in "${PATHS[@]}"; do [ -e "$p" ] && before+=("$p"); done
    trap 'dpkg-query -W credguard >/dev/null 2>&1 && "${SUDO[@]}" dpkg -r credguard >/dev/null' EXIT
    say "dpkg -i"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" </dev/null
    run_installed
    say "dpkg -r"
    "${SUDO[@]}" dpkg -r credguard </dev/null
    trap - EXIT
    [ "$(dpkg-query -W -f '${db:Status-Status}' credguard 2>/dev/null || echo not-installed)" = not-installed ] ||
        die "credguard is still known to dpkg after dpkg -r"
    # what existed before (/usr/bin, /usr/share/man/man1…) is still there; the rest is gone
    for p in "${PATHS[@]}"; do [ -e "$p" ] && left+=("$p"); done
    [ "${left[*]}" = "${before[*]}" ] ||
        die "after dpkg -r, of the package's paths these exist: ${left[*]} (before dpkg -i: ${before[*]})"
    say "dpkg -r: none of the package's ${#PATHS[@]} paths is left in /usr (${#before[@]} existed before: ${before[*]})"
}

# the hooks and status-bar snippets in /usr/share/credguard are what the installed
# `credguard init NAME` prints (it quotes the path '…'; the files keep their own quotes)
same_as_init() {
    local pair name file unquote
    unquote="s|\"/usr/bin/credguard\"|/usr/bin/credguard|g; s|'/usr/bin/credguard'|/usr/bin/credguard|g"
    for pair in zsh:credguard.zsh bash:credguard.bash fish:credguard.fish tmux:tmux.conf \
        waybar:waybar.jsonc i3blocks:i3blocks.conf polybar:polybar.ini swiftbar:swiftbar.sh; do
        name="${pair%%:*}" file="/usr/share/credguard/${pair#*:}"
        diff <(/usr/bin/credguard init "$name" | sed "$unquote") <(sed "$unquote" "$file") ||
            die "$file differs from \`credguard init $name\` (above)"
    done
    say "/usr/share/credguard: each hook and snippet is what \`credguard init\` prints"
}

# what the installed package holds works: both binaries run, the hooks parse in their
# shells, systemd's verifier accepts the units (any output is a failure)
run_installed() {
    local got tmp verify
    got="$(/usr/bin/credguard --version) / $(/usr/bin/credguardd --version)"
    # the client adds its protocol version: "credguard 0.1.0 (protocol 1)"
    [[ "$got" == "credguard $VERSION "*" / credguardd $VERSION" ]] || die "--version: $got"
    say "--version: $got"
    bash -n /usr/share/credguard/credguard.bash
    zsh -n /usr/share/credguard/credguard.zsh
    fish --no-execute /usr/share/credguard/credguard.fish
    bash -n /usr/share/bash-completion/completions/credguard
    zsh -n /usr/share/zsh/vendor-completions/_credguard
    fish --no-execute /usr/share/fish/vendor_completions.d/credguard.fish
    say "hooks and completions parse in bash, zsh and fish"
    same_as_init
    tmp="$(mktemp -d)"
    mkdir -m 700 "$tmp/runtime"
    verify="$(cd "$tmp" && env -i HOME="$tmp" XDG_RUNTIME_DIR="$tmp/runtime" PATH=/usr/bin:/bin \
        systemd-analyze --user verify /usr/lib/systemd/user/credguard.socket \
        /usr/lib/systemd/user/credguard.service 2>&1)" || verify="exit $?: $verify"
    rm -rf "$tmp"
    [ -z "$verify" ] || die "systemd-analyze --user verify: $verify"
    say "systemd-analyze --user verify credguard.socket credguard.service: no output"
}

build
VERSION="$(target/release/credguardd --version | awk '{print $2}')"
[ "$(target/release/credguard --version | awk '{print $2}')" = "$VERSION" ] ||
    die "credguard and credguardd disagree on the version"
ARCH="$(dpkg --print-architecture)"
SOURCE_DATE_EPOCH="$(git log -1 --format=%ct 2>/dev/null || date +%s)"
export SOURCE_DATE_EPOCH
ROOT="$PWD/target/debian/stage"
DEB="target/debian/credguard_${VERSION}_${ARCH}.deb"
rm -rf "$ROOT" "$DEB"
mkdir -p "$ROOT"
stage "$ROOT"
control "$ROOT"
dpkg-deb --root-owner-group --build "$ROOT" "$DEB" >/dev/null
say "$DEB"
dpkg-deb --info "$DEB"
dpkg-deb --contents "$DEB"
say "lintian"
lintian --fail-on error --info "$DEB"
say "lintian: no error"

[ "$CHECK" = 1 ] && check "$DEB"
exit 0
