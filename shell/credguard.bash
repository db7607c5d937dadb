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
# Loading it twice changes nothing; safe under set -u and set -e.

CREDGUARD_BADGE=''
_credguard_shown=''
# tells `credguard doctor` that the hook is loaded
export CREDGUARD_HOOK=bash

# The badge from the daemon's badge file (client/src/badgefile.rs), builtins only: 0 when
# read. Only without env credentials, with the socket in its default place, on Linux (the
# liveness record's pid is looked up in /proc).
_credguard_from_file() {
  [[ -z ${AWS_ACCESS_KEY_ID-}${AWS_SECRET_ACCESS_KEY-}${CREDGUARD_SOCKET-} ]] || return 1
  [[ ${XDG_RUNTIME_DIR-} == /* ]] || return 1
  local dir=$XDG_RUNTIME_DIR/credguard/badge pid='' stat='' file=.none
  local name=${AWS_PROFILE:-${AWS_DEFAULT_PROFILE-}}
  # set but empty names no profile the tools find: the client asks the daemon
  [[ -n $name || -z ${AWS_PROFILE+x}${AWS_DEFAULT_PROFILE+x} ]] || return 1
  if [[ -n $name ]]; then
    # a name that is its own file name; any other is asked of the daemon
    [[ $name == [A-Za-z0-9_]* && $name != *[!A-Za-z0-9._-]* ]] || return 1
    file=$name
  fi
  [[ -n ${CREDGUARD_ASCII-} && ${CREDGUARD_ASCII-} != 0 ]] && file=.ascii/$file
  [[ -f $dir/.pid && -f $dir/$file ]] || return 1
  read -r pid <"$dir/.pid" || [[ -n $pid ]] || return 1
  # alive: /proc/<pid>/stat names credguardd in a state other than zombie or dead
  [[ -r /proc/$pid/stat ]] || return 1
  read -r stat <"/proc/$pid/stat" || return 1
  [[ $stat == "$pid (credguardd) "[!ZX]* ]] || return 1
  CREDGUARD_BADGE=''
  IFS= read -r CREDGUARD_BADGE <"$dir/$file" || true
  return 0
}

_credguard_prompt() {
  local status=$? code=''
  # No redirection on the command: with one, bash forks twice for the substitution
  # (≈ 0.3 ms, half the hook's cost; BENCHMARKS.md). `credguard prompt` never writes to
  # stderr; a missing binary is caught by the -x test instead of a 2>/dev/null.
  if _credguard_from_file; then
    :
  elif [[ ! -x "::CREDGUARD::" ]]; then
    CREDGUARD_BADGE=''
  elif [[ -n ${CREDGUARD_ASCII-} && ${CREDGUARD_ASCII-} != 0 ]]; then
    CREDGUARD_BADGE=$("::CREDGUARD::" prompt --ascii) || CREDGUARD_BADGE=''
  else
    CREDGUARD_BADGE=$("::CREDGUARD::" prompt) || CREDGUARD_BADGE=''
  fi
  case ${CREDGUARD_COLOR-red} in
    red) code=31 ;;
    yellow) code=33 ;;
    magenta) code=35 ;;
    cyan) code=36 ;;
    *) code='' ;;
  esac
  if [[ -z $CREDGUARD_BADGE ]]; then
    _credguard_shown=''
  elif [[ -n $code ]]; then
    # \001 \002: readline's markers around zero-width escapes
    _credguard_shown=$'\001\e['"${code}m"$'\002'"$CREDGUARD_BADGE"$'\001\e[0m\002 '
  else
    _credguard_shown="$CREDGUARD_BADGE "
  fi
  if [[ ${CREDGUARD_BADGE_POSITION-left} == left ]]; then
    # re-added whenever something else rebuilt PS1
    # shellcheck disable=SC2016 # the literal text of the reference, not its value
    case ${PS1-} in
      *'${_credguard_shown'*) ;;
      *) PS1='${_credguard_shown-}'"${PS1-}" ;;
    esac
  fi
  return "$status"
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
