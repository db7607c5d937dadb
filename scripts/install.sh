#!/usr/bin/env bash
# From a clone to a badge in the prompt, in one command:
#   bash scripts/install.sh [--prefix DIR] [--no-modify-rc] [--bin-dir DIR] [--uninstall]
# 1. builds the release daemon and the statically linked client (or, with --bin-dir,
#    takes credguard and credguardd already built there);
# 2. installs them in PREFIX/bin (default ~/.local), their man pages in
#    PREFIX/share/man/man1 and the completions for zsh, bash and fish in PREFIX/share;
# 3. runs the daemon as a service: systemd user units with socket activation
#    (`credguard service install`), a launchd agent on macOS, else starts credguardd
#    now and adds a guarded start line to the shell's start-up file;
# 4. adds the prompt hook (and PATH, completions) between marker comments to the rc file
#    of the login shell ($SHELL: zsh, bash or fish);
# 5. runs `credguard doctor`.
# Idempotent: a second run changes nothing and says so. Everything it adds is written
# down in ${XDG_STATE_HOME:-~/.local/state}/credguard/install.manifest, and --uninstall
# removes exactly that (an rc file comes back byte for byte).
set -euo pipefail

PREFIX="$HOME/.local"
MODIFY_RC=1
BIN_DIR=""
UNINSTALL=0
usage() {
    sed -n '2,3p' "$0" | sed 's/^# *//' >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
    --prefix) [ $# -ge 2 ] || usage; PREFIX="$2"; shift 2 ;;
    --prefix=*) PREFIX="${1#*=}"; shift ;;
    --bin-dir) [ $# -ge 2 ] || usage; BIN_DIR="$2"; shift 2 ;;
    --bin-dir=*) BIN_DIR="${1#*=}"; shift ;;
    --no-modify-rc) MODIFY_RC=0; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option '$1'" >&2; usage ;;
    esac
done
case "$PREFIX" in /*) ;; *) PREFIX="$PWD/$PREFIX" ;; esac
case "$BIN_DIR" in /* | "") ;; *) BIN_DIR="$PWD/$BIN_DIR" ;; esac
BIN="$PREFIX/bin"
STATE="${XDG_STATE_HOME:-$HOME/.local/state}/credguard"
MANIFEST="$STATE/install.manifest"
BEGIN="# >>> credguard (scripts/install.sh; --uninstall removes it) >>>"
END="# <<< credguard <<<"

say() { printf '%s\n' "$*"; }

# ---- the manifest: one entry a line, "kind<TAB>path<TAB>extra"
record() {
    mkdir -p "$STATE"
    local line
    line="$(printf '%s\t%s\t%s' "$1" "$2" "${3:-}")"
    grep -qxF -- "$line" "$MANIFEST" 2>/dev/null || printf '%s\n' "$line" >>"$MANIFEST"
}
recorded() { grep -q "^$1	" "$MANIFEST" 2>/dev/null; }

# mkdir -p, recording each directory it creates (so that --uninstall removes it if empty)
make_dir() {
    local d="$1" missing=()
    while [ ! -d "$d" ]; do
        missing=("$d" "${missing[@]}")
        d="$(dirname "$d")"
    done
    for d in "${missing[@]}"; do
        mkdir "$d"
        record dir "$d"
    done
}

# put_file SRC DEST MODE: install SRC as DEST unless DEST already has these bytes
put_file() {
    local src="$1" dest="$2" mode="$3"
    if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
        say "unchanged: $dest"
    else
        make_dir "$(dirname "$dest")"
        local verb="installed"
        [ -e "$dest" ] && verb="updated"
        # a new file renamed over the old one: a running credguardd keeps its own
        cp "$src" "$dest.cg-new" && chmod "$mode" "$dest.cg-new" && mv -f "$dest.cg-new" "$dest"
        say "$verb: $dest"
    fi
    record file "$dest"
}

# put_output DEST CMD...: the output of CMD as DEST
put_output() {
    local dest="$1" tmp
    shift
    tmp="$(mktemp)"
    "$@" >"$tmp"
    put_file "$tmp" "$dest" 644
    rm -f "$tmp"
}

# ---- the rc file of the login shell
login_shell() { basename "${SHELL:-}"; }

rc_file() {
    case "$1" in
    zsh) printf '%s\n' "${ZDOTDIR:-$HOME}/.zshrc" ;;
    bash) printf '%s\n' "$HOME/.bashrc" ;;
    fish) printf '%s\n' "${XDG_CONFIG_HOME:-$HOME/.config}/fish/config.fish" ;;
    esac
}

# a word quoted for sh (zsh, bash) or fish
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
qf() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"; }

# the lines between the markers, for shell $1 ($2: 1 to start the daemon from here); the $
# in them is for the shell that reads them
# shellcheck disable=SC2016
rc_block() {
    local shell="$1" start="$2" cg="$BIN/credguard" cgd="$BIN/credguardd"
    local data="$PREFIX/share"
    case "$shell" in
    zsh | bash)
        printf 'case ":$PATH:" in *:%s:*) ;; *) export PATH=%s"${PATH:+:$PATH}" ;; esac\n' \
            "$(q "$BIN")" "$(q "$BIN")"
        if [ "$start" = 1 ]; then
            # status exits 2 when no daemon answers on this shell's socket
            printf '%s status >/dev/null 2>&1; [ $? -ne 2 ] || (%s >/dev/null 2>&1 &)\n' "$(q "$cg")" "$(q "$cgd")"
        fi
        printf 'eval "$(%s init %s)"\n' "$(q "$cg")" "$shell"
        if [ "$shell" = zsh ]; then
            # compinit (before or after this block) finds _credguard in $fpath
            printf 'fpath=(%s $fpath)\n' "$(q "$data/zsh/site-functions")"
            printf 'autoload -Uz _credguard\nif (( $+functions[compdef] )); then compdef _credguard credguard; fi\n'
        else
            printf 'if [ -r %s ]; then . %s; fi\n' "$(q "$data/bash-completion/completions/credguard")" \
                "$(q "$data/bash-completion/completions/credguard")"
        fi
        ;;
    fish)
        printf 'contains -- %s $PATH; or set -gx PATH %s $PATH\n' "$(qf "$BIN")" "$(qf "$BIN")"
        printf 'contains -- %s $fish_complete_path; or set -p fish_complete_path %s\n' \
            "$(qf "$data/fish/vendor_completions.d")" "$(qf "$data/fish/vendor_completions.d")"
        printf 'if status is-interactive\n'
        if [ "$start" = 1 ]; then
            # through sh: fish would report the background job at the next prompt
            printf '    %s status >/dev/null 2>&1; test $status -ne 2; or sh -c %s %s\n' "$(qf "$cg")" \
                "'\"\$0\" </dev/null >/dev/null 2>&1 &'" "$(qf "$cgd")"
        fi
        printf '    %s init fish | source\nend\n' "$(qf "$cg")"
        ;;
    esac
}

# add_block FILE BLOCK: the block between the markers at the end of FILE (replacing one
# that is there); the manifest says whether the file was created and whether a newline
# had to be added before the block
add_block() {
    local file="$1" block="$2" want
    want="$(printf '%s\n%s\n%s' "$BEGIN" "$block" "$END")"
    if [ -f "$file" ] && grep -qxF -- "$BEGIN" "$file"; then
        if [ "$(awk -v b="$BEGIN" -v e="$END" '$0 == b { on = 1 } on { print } on && $0 == e { exit }' "$file")" = "$want" ]; then
            say "unchanged: $file (the credguard block is there)"
            return
        fi
        remove_block "$file" 0
        say "updated: the credguard block in $file"
    else
        say "added the credguard block to $file"
    fi
    local created=0 nl=0
    if [ ! -e "$file" ]; then
        created=1
        make_dir "$(dirname "$file")"
        : >"$file"
    elif [ -s "$file" ] && [ "$(tail -c 1 "$file" | od -An -c | tr -d ' ')" != '\n' ]; then
        nl=1
        printf '\n' >>"$file"
    fi
    printf '%s\n' "$want" >>"$file"
    if ! recorded "rc	$file"; then
        record rc "$file" "created=$created nl=$nl"
    fi
}

# remove_block FILE NL: the lines from BEGIN to END out of FILE, written in place (the
# file keeps its inode, mode and symlinks); NL=1: a newline was added before the block
remove_block() {
    local file="$1" nl="$2" eol=1 tmp
    [ -f "$file" ] || return 0
    [ "$(tail -c 1 "$file" | od -An -c | tr -d ' ')" = '\n' ] || eol=0
    tmp="$(mktemp)"
    awk -v b="$BEGIN" -v e="$END" -v nl="$nl" -v eol="$eol" '
        $0 == b { skip = 1; last = 1; next }
        skip { if ($0 == e) skip = 0; next }
        { line[n++] = $0; last = 0 }
        END {
            for (i = 0; i < n; i++) {
                printf "%s", line[i]
                if (i < n - 1 || (eol && !(nl && last))) printf "\n"
            }
        }' "$file" >"$tmp"
    cat "$tmp" >"$file"
    rm -f "$tmp"
}

# ---- the daemon
# pids of credguardd processes running the installed program (Linux: /proc)
installed_daemons() {
    local p
    for p in /proc/[0-9]*; do
        [ "$p/exe" -ef "$BIN/credguardd" ] 2>/dev/null && printf '%s\n' "${p#/proc/}"
    done
    return 0
}

daemon_answers() {
    local code=0
    "$BIN/credguard" status >/dev/null 2>&1 || code=$?
    [ "$code" -ne 2 ]
}

start_daemon() {
    if daemon_answers; then
        say "unchanged: credguardd is running"
        return
    fi
    if command -v setsid >/dev/null 2>&1; then
        (setsid "$BIN/credguardd" </dev/null >/dev/null 2>&1 &)
    else
        ("$BIN/credguardd" </dev/null >/dev/null 2>&1 &)
    fi
    local _
    for _ in $(seq 50); do
        daemon_answers && { say "started: $BIN/credguardd"; return; }
        sleep 0.1
    done
    say "credguardd did not answer within 5 s; run \`$BIN/credguardd\` to see why" >&2
}

# which service: systemd (user manager reachable), launchd (macOS), or shell
service_kind() {
    if [ "$(uname -s)" = Darwin ]; then
        echo launchd
    elif command -v systemctl >/dev/null 2>&1 && systemctl --user show-environment >/dev/null 2>&1; then
        echo systemd
    else
        echo shell
    fi
}

install_service() {
    local kind="$1"
    case "$kind" in
    systemd)
        local unit="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/credguard.service"
        if grep -qxF "ExecStart=$BIN/credguardd" "$unit" 2>/dev/null &&
            systemctl --user is-enabled credguard.socket >/dev/null 2>&1; then
            say "unchanged: $unit (enabled)"
        else
            [ -e "$unit" ] && ! recorded "service" && record service systemd preexisting
            "$BIN/credguard" service install
        fi
        recorded service || record service systemd
        ;;
    launchd)
        "$BIN/credguard" service install
        recorded service || record service launchd
        ;;
    shell)
        say "no systemd user manager: credguardd is started from the shell's start-up file"
        start_daemon
        recorded service || record service shell
        ;;
    esac
}

# ---- uninstall
uninstall() {
    if [ ! -f "$MANIFEST" ]; then
        say "nothing to uninstall: $MANIFEST does not exist"
        return 0
    fi
    local kind path extra
    PREFIX="$(grep '^prefix	' "$MANIFEST" | cut -f2 | head -n 1)"
    BIN="$PREFIX/bin"
    while IFS=$'\t' read -r kind path extra; do
        case "$kind" in
        service)
            case "$path${extra:+ $extra}" in
            "systemd preexisting") say "kept the systemd units: they were there before" ;;
            systemd | launchd) "$BIN/credguard" service uninstall </dev/null || true ;;
            shell)
                local pid
                for pid in $(installed_daemons); do
                    kill "$pid" && say "stopped credguardd (pid $pid)"
                done
                ;;
            esac
            ;;
        rc)
            local nl=0 created=0
            case "$extra" in *nl=1*) nl=1 ;; esac
            case "$extra" in *created=1*) created=1 ;; esac
            remove_block "$path" "$nl"
            if [ "$created" = 1 ] && [ ! -s "$path" ]; then
                rm -f "$path"
                say "removed $path"
            else
                say "removed the credguard block from $path"
            fi
            ;;
        esac
    done <"$MANIFEST"
    # files, then directories deepest first (only when empty)
    while IFS=$'\t' read -r kind path extra; do
        [ "$kind" = file ] && rm -f "$path" && say "removed $path"
    done <"$MANIFEST"
    grep '^dir	' "$MANIFEST" | cut -f2 | sort -r | while IFS= read -r path; do
        if rmdir "$path" 2>/dev/null; then say "removed $path/"; fi
    done
    rm -f "$MANIFEST"
    say "credguard is uninstalled"
}

if [ "$UNINSTALL" = 1 ]; then
    uninstall
    exit 0
fi

# ---- install
cd "$(dirname "$0")/.."
if [ -z "$BIN_DIR" ]; then
    say "building the release daemon and the static client (the first build takes minutes)"
    cargo build --release --locked -p credguard-daemon --bin credguardd
    if [ "$(uname -s)" = Linux ]; then
        # static: the prompt starts it as fast as /bin/true (BENCHMARKS.md); only this
        # binary gets the flag, so the daemon's build stays cached
        cargo rustc --release --locked -p credguard-client --bin credguard -- -C target-feature=+crt-static
    else
        cargo build --release --locked -p credguard-client --bin credguard
    fi
    BIN_DIR="target/release"
fi
for b in credguard credguardd; do
    [ -x "$BIN_DIR/$b" ] || { echo "install.sh: $BIN_DIR/$b is missing" >&2; exit 1; }
done

recorded prefix || record prefix "$PREFIX"
put_file "$BIN_DIR/credguardd" "$BIN/credguardd" 755
put_file "$BIN_DIR/credguard" "$BIN/credguard" 755
DATA="$PREFIX/share"
put_output "$DATA/man/man1/credguard.1" "$BIN/credguard" man
put_output "$DATA/man/man1/credguardd.1" "$BIN/credguardd" man
put_output "$DATA/zsh/site-functions/_credguard" "$BIN/credguard" completions zsh
put_output "$DATA/bash-completion/completions/credguard" "$BIN/credguard" completions bash
put_output "$DATA/fish/vendor_completions.d/credguard.fish" "$BIN/credguard" completions fish

KIND="$(service_kind)"
install_service "$KIND"
START=0
[ "$KIND" = shell ] && START=1

SH="$(login_shell)"
RC="$(rc_file "$SH")"
if [ -z "$RC" ]; then
    say "your login shell (${SHELL:-unset}) is not zsh, bash or fish: no rc file changed; see \`credguard init --help\`"
elif [ "$MODIFY_RC" = 0 ]; then
    say "--no-modify-rc: add these lines to $RC yourself:"
    rc_block "$SH" "$START"
else
    add_block "$RC" "$(rc_block "$SH" "$START")"
fi

say ""
say "credguard doctor:"
"$BIN/credguard" doctor || true
say ""
say "open a new shell to see the badge; uninstall with: bash scripts/install.sh --uninstall"
