# credguard prompt hook for bash. Load it from ~/.bashrc with:
#   eval "$(credguard init bash)"
#
# From PROMPT_COMMAND (a string, or an array in bash >= 5.1) it reads this shell's badge
# (empty when all is well) from the file the daemon keeps for the profile, with builtins
# only (no process); a shell with environment credentials, a profile the daemon keeps no
# file for, or a daemon that is not running asks `credguard prompt` instead. The badge goes
# in $CREDGUARD_BADGE and, by default, in front of PS1. The badge is referenced from PS1, never pasted into it, so it
# is never expanded as code; the user's PS1 and other PROMPT_COMMAND entries are kept.
#
# Settings (read at every prompt):
#   CREDGUARD_BADGE_POSITION  left (default) | none (only set $CREDGUARD_BADGE)
#   CREDGUARD_ASCII=1         plain ASCII badge
#   CREDGUARD_COLOR           red (default) | yellow | magenta | cyan | none
#   CREDGUARD_PROMPT_TIMEOUT_MS  deadline of the exchange (default 50)
#   CREDGUARD_GUARD           warn (default) | ask | block | off: the pre-command guard below
#   CREDGUARD_GUARD_COMMANDS  your own guarded commands: 'helm upgrade=20;make deploy=30'
#                             (a command prefix = the minutes it runs; yours come first)
# The two guard settings win over config.toml's [guard] table (mode, commands), which the
# daemon keeps in its badge directory for the hook to read at each prompt (builtins).
# Loading it twice changes nothing; safe under set -u and set -e.
#
# The pre-command guard (a DEBUG trap, chained after any trap already set, armed at each
# prompt): before a simple command that starts with a guarded command (terraform apply,
# cdk deploy… see _credguard_guarded) it prints one line to stderr when the credentials
# the command would use are invalid, expired, not validated, or expire before its
# expected minutes; ask: y/N before it runs, block: it does not run (extdebug, switched on
# only then). It judges from the record the daemon keeps for the profile
# (client/src/guardfile.rs) with builtins and $EPOCHSECONDS (bash >= 5); without a record
# (env credentials, a name that is not its own file name, no daemon alive, a first
# verdict being fetched) it runs `credguard exec --check` once, which prints the same
# line. Other commands cost a few pattern tests, no process.

CREDGUARD_BADGE=''
_credguard_shown=''
# what _credguard_shown was made from (never the same as a real badge at first)
_credguard_painted=$'\n\n'
# the settings _credguard_path was worked out from (never the same as real ones at first)
_credguard_seen=$'\n\n'
_credguard_path=''
_credguard_live=''
# config.toml's [guard] table as the daemon keeps it; empty: none (the defaults)
_credguard_cfg_mode=''
_credguard_cfg_cmds=''
# tells `credguard doctor` that the hook is loaded
export CREDGUARD_HOOK=bash

# config.toml's [guard] from the settings file $1 (client/src/guardfile.rs), builtins only.
_credguard_guard_settings() {
  local line
  _credguard_cfg_mode='' _credguard_cfg_cmds=''
  while IFS= read -r line; do
    case $line in
      mode=*) _credguard_cfg_mode=${line#mode=} ;;
      commands=*) _credguard_cfg_cmds=${line#commands=} ;;
    esac
  done <"$1"
}

# Where this shell's badge file is (client/src/badgefile.rs), worked out again only when
# a setting it depends on changed: _credguard_path, and _credguard_live, the same file
# under .live/badge/, a path that exists only while the daemon runs (.live →
# /proc/<pid>/fd/<n>) and keeps no [guard] settings; both empty when the client answers instead (a moved socket, a name
# that is not its own file name; a set-but-empty name names no profile the tools find,
# and the client asks the daemon).
_credguard_locate() {
  _credguard_seen=$_credguard_key
  _credguard_path='' _credguard_live=''
  local name=${AWS_PROFILE:-${AWS_DEFAULT_PROFILE-}} dir=${XDG_RUNTIME_DIR-}/credguard/badge
  [[ -z ${CREDGUARD_SOCKET-} && $dir == /* ]] || return 0
  if [[ -z $name ]]; then
    [[ -z ${AWS_PROFILE+x}${AWS_DEFAULT_PROFILE+x} ]] || return 0
    name=.none
  elif [[ $name != [A-Za-z0-9_]* || $name == *[!A-Za-z0-9._-]* ]]; then
    return 0
  fi
  [[ -z ${CREDGUARD_ASCII-} || ${CREDGUARD_ASCII-} == 0 ]] || name=.ascii/$name
  _credguard_path=$dir/$name
  _credguard_live=$dir/.live/badge/$name
  _credguard_dir=$dir
}

# The badge when the fast path is not taken: config.toml's [guard] first (when the daemon
# keeps one, or kept one), then the badge file with the daemon's liveness checked the
# longer way (the program at its pid, .proc → /proc/<pid>, is the daemon's: .exe), else
# `credguard prompt`. No redirection on its command: with one, bash forks twice for the
# substitution (≈ 0.3 ms; BENCHMARKS.md); it never writes to stderr, and a missing binary
# fails the -x test.
_credguard_badge_slow() {
  if [[ -f ${XDG_RUNTIME_DIR-}/credguard/badge/.guard/.settings && -z ${CREDGUARD_SOCKET-} && ${XDG_RUNTIME_DIR-} == /* ]]; then
    _credguard_guard_settings "$XDG_RUNTIME_DIR/credguard/badge/.guard/.settings" 2>/dev/null || :
  elif [[ -n $_credguard_cfg_mode$_credguard_cfg_cmds ]]; then
    _credguard_cfg_mode='' _credguard_cfg_cmds=''
  fi
  if [[ -n $_credguard_path && -z ${AWS_ACCESS_KEY_ID-}${AWS_SECRET_ACCESS_KEY-} &&
    -f $_credguard_path && $_credguard_dir/.proc/exe -ef $_credguard_dir/.exe ]]; then
    IFS= read -r CREDGUARD_BADGE <"$_credguard_path" || :
  elif [[ ! -x "::CREDGUARD::" ]]; then
    CREDGUARD_BADGE=''
  elif [[ -n ${CREDGUARD_ASCII-} && ${CREDGUARD_ASCII-} != 0 ]]; then
    CREDGUARD_BADGE=$("::CREDGUARD::" prompt --ascii) || CREDGUARD_BADGE=''
  else
    CREDGUARD_BADGE=$("::CREDGUARD::" prompt) || CREDGUARD_BADGE=''
  fi
}

_credguard_prompt() {
  local status=$?
  # The fast path (builtins only, no function call): no env credentials, no [guard]
  # settings read, and the badge file there under .live (which says the daemon is alive
  # and keeps no [guard] settings): one `read` of it by its plain path (a path through
  # /proc costs a few µs more; an empty file: an empty badge).
  _credguard_key=${AWS_PROFILE-$'\1'}$'\2'${AWS_DEFAULT_PROFILE-$'\1'}$'\2'${CREDGUARD_ASCII-}$'\2'${XDG_RUNTIME_DIR-}$'\2'${CREDGUARD_SOCKET-}
  [[ $_credguard_key == "$_credguard_seen" ]] || _credguard_locate
  if [[ -z ${AWS_ACCESS_KEY_ID-}${AWS_SECRET_ACCESS_KEY-}$_credguard_cfg_mode$_credguard_cfg_cmds &&
    -f $_credguard_live ]]; then
    IFS= read -r CREDGUARD_BADGE <"$_credguard_path" || :
  else
    _credguard_badge_slow
  fi
  # the rest only when something is to do (bash copies a function's body at each call, so
  # what is rarely needed lives in a function of its own)
  # shellcheck disable=SC2016 # the literal text of the reference, not its value
  [[ $CREDGUARD_BADGE$'\n'${CREDGUARD_COLOR-red} == "$_credguard_painted" && $_credguard_extdebug != 1 &&
    (${CREDGUARD_BADGE_POSITION-left} != left || ${PS1-} == *'${_credguard_shown'*) ]] || _credguard_tidy
  _credguard_armed=1
  return "$status"
}

# The coloured text when the badge or the colour changed; extdebug off after a command the
# guard stopped; the badge put back in front of PS1 when something else rebuilt it.
_credguard_tidy() {
  [[ $CREDGUARD_BADGE$'\n'${CREDGUARD_COLOR-red} == "$_credguard_painted" ]] || _credguard_paint
  if [[ $_credguard_extdebug == 1 ]]; then
    shopt -u extdebug
    _credguard_extdebug=0
  fi
  # shellcheck disable=SC2016 # the literal text of the reference, not its value
  [[ ${CREDGUARD_BADGE_POSITION-left} != left || ${PS1-} == *'${_credguard_shown'* ]] ||
    PS1='${_credguard_shown-}'"${PS1-}"
}

# The text in front of PS1: the badge in its colour, and a space after it.
_credguard_paint() {
  _credguard_painted=$CREDGUARD_BADGE$'\n'${CREDGUARD_COLOR-red}
  case ${CREDGUARD_COLOR-red} in
    red) _credguard_code=31 ;;
    yellow) _credguard_code=33 ;;
    magenta) _credguard_code=35 ;;
    cyan) _credguard_code=36 ;;
    *) _credguard_code='' ;;
  esac
  if [[ -z $CREDGUARD_BADGE ]]; then
    _credguard_shown=''
  elif [[ -n $_credguard_code ]]; then
    # \001 \002: readline's markers around zero-width escapes
    _credguard_shown=$'\001\e['"${_credguard_code}m"$'\002'"$CREDGUARD_BADGE"$'\001\e[0m\002 '
  else
    _credguard_shown="$CREDGUARD_BADGE "
  fi
}

if [[ $(declare -p PROMPT_COMMAND 2>/dev/null) == "declare -a"* ]]; then
  case " ${PROMPT_COMMAND[*]} " in
    *" _credguard_prompt "*) ;;
    *) PROMPT_COMMAND+=(_credguard_prompt) ;;
  esac
else
  # shellcheck disable=SC2128,SC2178 # this branch: PROMPT_COMMAND is a string
  case ${PROMPT_COMMAND-} in
    *_credguard_prompt*) ;;
    *) PROMPT_COMMAND="${PROMPT_COMMAND:+${PROMPT_COMMAND}$'\n'}_credguard_prompt" ;;
  esac
fi

# The guarded commands: a command prefix, then the minutes it is expected to run.
_credguard_guarded=(
  'terraform apply' 45 'terraform destroy' 45 'terraform import' 45 'terragrunt' 15
  'tofu apply' 15 'cdk deploy' 45 'cdk destroy' 45 'pulumi up' 15 'pulumi destroy' 15
  'sam deploy' 15 'serverless deploy' 15 'sls deploy' 15 'copilot deploy' 15
  'aws cloudformation deploy' 15
)
_credguard_armed=0
_credguard_extdebug=0

# Whether the simple command $1 is guarded: prefix, minutes and profile (an AWS_PROFILE=…
# in front of it) in _credguard_match.
_credguard_guard_match() {
  local line=$1 entry i
  case ${line%%[[:space:]]*} in
    terraform | terragrunt | tofu | cdk | pulumi | sam | serverless | sls | copilot | aws) ;;
    *) [[ -n ${CREDGUARD_GUARD_COMMANDS-}$_credguard_cfg_cmds ]] || return 1 ;;
  esac
  local IFS=';'
  # the environment's first, then config.toml's, then the built-in ones
  for entry in ${CREDGUARD_GUARD_COMMANDS-} $_credguard_cfg_cmds; do
    if [[ "$line " == "${entry%=*} "* ]]; then
      _credguard_match=("${entry%=*}" "${entry##*=}")
      return 0
    fi
  done
  for ((i = 0; i < ${#_credguard_guarded[@]}; i += 2)); do
    if [[ "$line " == "${_credguard_guarded[i]} "* ]]; then
      _credguard_match=("${_credguard_guarded[i]}" "${_credguard_guarded[i + 1]}")
      return 0
    fi
  done
  return 1
}

# Seconds as `credguard` writes them (client/src/rules.rs short_duration), in REPLY.
_credguard_dur() {
  local s=$1
  ((s >= 0)) || s=0
  if ((s < 60)); then
    REPLY=${s}s
  elif ((s < 3600)); then
    REPLY=$((s / 60))m
  elif ((s < 86400)); then
    printf -v REPLY '%dh%02dm' $((s / 3600)) $((s % 3600 / 60))
  else
    REPLY=$((s / 86400))d
  fi
}

# The guard record (client/src/guardfile.rs) of the profile that command $1, expected to
# run $2 minutes, would use, builtins only: 0 when the credentials last, 4 when they do
# not (the line printed, as `credguard exec --check` prints it), 1 when there is no record
# to go by.
_credguard_guard_file() {
  [[ -z ${AWS_ACCESS_KEY_ID-}${AWS_SECRET_ACCESS_KEY-}${CREDGUARD_SOCKET-} ]] || return 1
  [[ ${XDG_RUNTIME_DIR-} == /* && -n ${EPOCHSECONDS-} && $2 =~ ^[0-9]+$ ]] || return 1
  local dir=$XDG_RUNTIME_DIR/credguard/badge
  local name=${AWS_PROFILE:-${AWS_DEFAULT_PROFILE:-default}}
  [[ $name == [A-Za-z0-9_]* && $name != *[!A-Za-z0-9._-]* ]] || return 1
  [[ -f $dir/.guard/$name && $dir/.proc/exe -ef $dir/.exe ]] || return 1
  local line why='' expires='' expired='' short='' need=$(($2 * 60)) now=$EPOCHSECONDS
  while IFS= read -r line; do
    case $line in
      refuse=*) why=${line#refuse=} ;;
      expires=*) expires=${line#expires=} ;;
      expired=*) expired=${line#expired=} ;;
      short=*) short=${line#short=} ;;
    esac
  done <"$dir/.guard/$name" 2>/dev/null || true
  if [[ -n $why ]]; then
    :
  elif [[ ! $expires =~ ^[0-9]+$ ]]; then
    return 0
  elif ((expires <= now)); then
    _credguard_dur $((now - expires))
    why=${expired//'{ago}'/$REPLY}
  elif ((expires - now < need)); then
    _credguard_dur $((expires - now))
    why=${short//'{left}'/$REPLY}
    _credguard_dur "$need"
    why=${why//'{need}'/$REPLY}
  else
    return 0
  fi
  echo "credguard: before $1: $why" >&2
  return 4
}

# The DEBUG trap: non-zero (with extdebug on) skips the command.
_credguard_guard() {
  [[ $_credguard_armed == 1 ]] || return 0
  # the cheap test inline (a function call costs as much as the rest)
  case ${BASH_COMMAND%%[[:space:]]*} in
    terraform | terragrunt | tofu | cdk | pulumi | sam | serverless | sls | copilot | aws) ;;
    *) [[ -n ${CREDGUARD_GUARD_COMMANDS-}$_credguard_cfg_cmds ]] || return 0 ;;
  esac
  local mode=${CREDGUARD_GUARD:-${_credguard_cfg_mode:-warn}}
  [[ $mode != off ]] || return 0
  _credguard_guard_match "$BASH_COMMAND" || return 0
  # once per command line
  _credguard_armed=0
  local answer='' rc=0
  _credguard_guard_file "${_credguard_match[0]}" "${_credguard_match[1]}" || rc=$?
  if [[ $rc == 1 ]]; then
    rc=0
    "::CREDGUARD::" exec --check --for "${_credguard_match[0]}" --min-remaining "${_credguard_match[1]}" || rc=$?
  fi
  [[ $rc == 4 ]] || return 0
  case $mode in
    ask)
      read -r -n 1 -p "credguard: run it anyway? [y/N] " answer </dev/tty || answer=''
      echo >&2
      [[ $answer == [yY] ]] && return 0
      ;;
    block)
      if [[ -n ${CREDGUARD_GUARD-} ]]; then
        echo "credguard: not run (CREDGUARD_GUARD=block)" >&2
      else
        echo 'credguard: not run ([guard] mode = "block" in config.toml)' >&2
      fi
      ;;
    *) return 0 ;;
  esac
  _credguard_extdebug=1
  shopt -s extdebug
  return 1
}

# The DEBUG trap: the cheap test (a case on the first word; 0, the command runs) in a
# small function of its own, so that a command it does not guard costs little: bash parses
# a trap's text at each firing (a short name is quick to parse) and copies a function's
# body at each call (this one is short; measured: 15 µs a firing, against 20–25 µs with
# the case inline in the trap's text). _credguard_guard decides the rest.
_credguard_guard_first() {
  case ${BASH_COMMAND%%[[:space:]]*} in
    terraform | terragrunt | tofu | cdk | pulumi | sam | serverless | sls | copilot | aws) _credguard_guard ;;
    *) [[ -z ${CREDGUARD_GUARD_COMMANDS-}${_credguard_cfg_cmds-} ]] || _credguard_guard ;;
  esac
}
_credguard_trap=_credguard_guard_first
_credguard_debug_trap=$(trap -p DEBUG)
# shellcheck disable=SC2064 # the trap's text is set now on purpose: it is our own
case $_credguard_debug_trap in
  *_credguard_guard*) ;;
  '') trap "$_credguard_trap" DEBUG ;;
  *)
    eval "_credguard_debug_trap=(${_credguard_debug_trap})"
    # the other trap first, ours last: its status decides whether the command runs
    trap "${_credguard_debug_trap[2]}"$'\n'"$_credguard_trap" DEBUG
    ;;
esac
unset _credguard_debug_trap
