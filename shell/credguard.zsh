# credguard prompt hook for zsh. Load it from ~/.zshrc with:
#   eval "$(credguard init zsh)"
#
# Before each prompt it reads this shell's badge (empty when all is well) from the file the
# daemon keeps for the profile, with builtins only; for a profile without a file it asks
# the daemon's socket (zsh/net/socket, a 50 ms read timeout); either way without forking.
# When the module is missing, or the shell has AWS_ACCESS_KEY_ID set (the client
# fingerprints those), it runs `credguard prompt` instead. The badge goes in
# $CREDGUARD_BADGE and, by default, in front of RPROMPT.
#
# Settings (read at every prompt):
#   CREDGUARD_BADGE_POSITION  right (default) | left | none (only set $CREDGUARD_BADGE)
#   CREDGUARD_ASCII=1         plain ASCII badge
#   CREDGUARD_COLOR           zsh colour for the badge (default red; none: no colour)
#   CREDGUARD_PROMPT_TIMEOUT_MS  deadline of the exchange (default 50)
#   CREDGUARD_GUARD           warn (default) | ask | block | off: the pre-command guard below
#   CREDGUARD_GUARD_COMMANDS  your own guarded commands: 'helm upgrade=20;make deploy=30'
#                             (a command-line prefix = the minutes it runs; yours come first)
# The two guard settings win over config.toml's [guard] table (mode, commands), which the
# daemon keeps in its badge directory for the hook to read at each prompt (builtins).
# Loading it twice changes nothing.
#
# The pre-command guard (preexec): before a command line that starts with a guarded
# command (terraform apply, cdk deploy… see _credguard_guarded), it prints one line to
# stderr when the credentials the command would use are invalid, expired, not validated,
# or expire before its expected minutes; ask: y/N before it runs, block: it does not run.
# It judges from the record the daemon keeps for the profile (client/src/guardfile.rs),
# with builtins and $EPOCHSECONDS, no process; without a record (env credentials, a name
# that is not its own file name, no daemon alive, a first verdict being fetched) it runs
# `credguard exec --check` once, which prints the same line. Any other command costs a few
# pattern tests, no process.

(( ${+_credguard_rprompt} )) || typeset -g _credguard_rprompt="${RPROMPT-}"
(( ${+_credguard_lprompt} )) || typeset -g _credguard_lprompt="${PROMPT-}"
typeset -g CREDGUARD_BADGE='' _credguard_shown=''
# tells `credguard doctor` that the hook is loaded
export CREDGUARD_HOOK=zsh
typeset -g _credguard_zsocket=0 _credguard_epoch=0
if zmodload zsh/net/socket 2>/dev/null && zmodload zsh/system 2>/dev/null; then
  _credguard_zsocket=1
fi
zmodload zsh/datetime 2>/dev/null && _credguard_epoch=1
# config.toml's [guard] table as the daemon keeps it; empty: none (the defaults)
typeset -g _credguard_cfg_mode='' _credguard_cfg_cmds=''

# The socket path, by the client's rules (client/src/paths.rs).
_credguard_socket() {
  if [[ -n ${CREDGUARD_SOCKET-} ]]; then
    REPLY=$CREDGUARD_SOCKET
  elif [[ ${XDG_RUNTIME_DIR-} == /* ]]; then
    REPLY=$XDG_RUNTIME_DIR/credguard/credguard.sock
  else
    REPLY=${TMPDIR:-/tmp}/credguard-$UID/credguard.sock
  fi
}

# One prompt request over the socket; the badge in REPLY. Non-zero when the daemon
# cannot tell in time (REPLY is then the neutral mark).
_credguard_ask() {
  emulate -L zsh
  setopt no_multibyte
  local LC_ALL=C fd header payload chunk n len line text= kind= t
  t=$(( ${CREDGUARD_PROMPT_TIMEOUT_MS:-50} / 1000.0 ))
  _credguard_socket
  local sock=$REPLY profile=${AWS_PROFILE:-${AWS_DEFAULT_PROFILE-}}
  # set but empty is sent as the empty name (the tools take it as one)
  local named=${profile:+x}${AWS_PROFILE+x}${AWS_DEFAULT_PROFILE+x}
  REPLY='aws:?'
  zsocket $sock 2>/dev/null || return 1
  fd=$REPLY
  REPLY='aws:?'
  profile=${profile//\\/\\\\}
  profile=${profile//$'\n'/\\n}
  profile=${profile//$'\r'/\\r}
  local ascii=0
  [[ -n ${CREDGUARD_ASCII-} && ${CREDGUARD_ASCII-} != 0 ]] && ascii=1
  payload=$'v=1\nt=prompt\n'${named:+profile=$profile$'\n'}ascii=$ascii$'\n'
  n=${#payload}
  {
    printf "\\x$(( [##16] (n >> 24) & 255 ))\\x$(( [##16] (n >> 16) & 255 ))\\x$(( [##16] (n >> 8) & 255 ))\\x$(( [##16] n & 255 ))%s" "$payload" >&$fd || return 1
    header=
    while (( ${#header} < 4 )); do
      sysread -t $t -s $(( 4 - ${#header} )) -i $fd chunk || return 1
      header+=$chunk
    done
    local b1=${header[1]} b2=${header[2]} b3=${header[3]} b4=${header[4]}
    len=$(( (#b1 << 24) | (#b2 << 16) | (#b3 << 8) | #b4 ))
    (( len > 65536 )) && return 1
    payload=
    while (( ${#payload} < len )); do
      sysread -t $t -s $(( len - ${#payload} )) -i $fd chunk || return 1
      payload+=$chunk
    done
  } always {
    exec {fd}>&-
  }
  for line in ${(f)payload}; do
    case $line in
      t=*) kind=${line#t=} ;;
      text=*) text=${line#text=} ;;
    esac
  done
  [[ $kind == badge ]] || return 1
  text=${text//\\n/}
  text=${text//\\r/}
  REPLY=${text//\\\\/\\}
}

# config.toml's [guard] from the settings file $1 (client/src/guardfile.rs), builtins only.
_credguard_guard_settings() {
  local line
  _credguard_cfg_mode='' _credguard_cfg_cmds=''
  for line in "${(@f)$(<$1)}"; do
    case $line in
      mode=*) _credguard_cfg_mode=${line#mode=} ;;
      commands=*) _credguard_cfg_cmds=${line#commands=} ;;
    esac
  done
}

# The badge when the fast path of _credguard_precmd cannot answer, in $REPLY: config.toml's
# [guard] settings read when the daemon keeps them; then the badge file $1 (a path the
# fast path made; empty: none for this shell) while the daemon is alive: the program at its
# pid (.proc → /proc/<pid>) is the daemon's (.exe); else the socket, else the client.
_credguard_badge_slow() {
  local dir=${XDG_RUNTIME_DIR-}/credguard/badge
  REPLY=''
  if [[ -z ${CREDGUARD_SOCKET-} && $dir == /* && -f $dir/.guard/.settings ]]; then
    _credguard_guard_settings $dir/.guard/.settings 2>/dev/null
  elif [[ -n $_credguard_cfg_mode$_credguard_cfg_cmds ]]; then
    _credguard_cfg_mode='' _credguard_cfg_cmds=''
  fi
  if [[ -n $1 && -f $1 && $dir/.proc/exe -ef $dir/.exe ]]; then
    IFS= read -r REPLY <$1 || :
  elif (( _credguard_zsocket )) && [[ -z ${AWS_ACCESS_KEY_ID-}${AWS_SECRET_ACCESS_KEY-} ]]; then
    _credguard_ask
  elif [[ -n ${CREDGUARD_ASCII-} && ${CREDGUARD_ASCII-} != 0 ]]; then
    REPLY="$("::CREDGUARD::" prompt --ascii 2>/dev/null)"
  else
    REPLY="$("::CREDGUARD::" prompt 2>/dev/null)"
  fi
}

_credguard_precmd() {
  local badge color
  # The fast path, inline (a function call costs as much as its body): this shell's badge
  # file (client/src/badgefile.rs), builtins only. Taken without env credentials, with the
  # socket in its default place, for a name that is its own file name (or no name: .none).
  # One stat says the file is there and the daemon alive: .live → /proc/<pid>/fd/<n>, the
  # daemon's runtime directory held open, which it keeps only while config.toml has no
  # [guard] (so there are no settings to read either). Otherwise _credguard_badge_slow; a
  # set-but-empty name names no profile the tools find, and the daemon is asked.
  local file=${AWS_PROFILE:-${AWS_DEFAULT_PROFILE-}} dir=${XDG_RUNTIME_DIR-}/credguard/badge
  if [[ -z ${AWS_ACCESS_KEY_ID-}${AWS_SECRET_ACCESS_KEY-}${CREDGUARD_SOCKET-} && $dir == /* &&
    ( $file == [A-Za-z0-9_]* && $file != *[^A-Za-z0-9._-]* ||
      -z $file${AWS_PROFILE+x}${AWS_DEFAULT_PROFILE+x} ) ]] &&
    file=${file:-.none} &&
    { [[ -z ${CREDGUARD_ASCII-} || ${CREDGUARD_ASCII-} == 0 ]] || file=.ascii/$file }; then
    if [[ -f $dir/.live/badge/$file ]]; then
      [[ -z $_credguard_cfg_mode$_credguard_cfg_cmds ]] || _credguard_cfg_mode='' _credguard_cfg_cmds=''
      IFS= read -r badge <$dir/$file || :
    else
      _credguard_badge_slow $dir/$file
      badge=$REPLY
    fi
  else
    _credguard_badge_slow ''
    badge=$REPLY
  fi
  CREDGUARD_BADGE=$badge
  # % starts a prompt escape: double it
  badge=${badge//\%/%%}
  color=${CREDGUARD_COLOR:-red}
  if [[ -n $badge && $color != none ]]; then
    badge="%F{$color}$badge%f"
  fi
  _credguard_shown=$badge
  case ${CREDGUARD_BADGE_POSITION:-right} in
    left)
      RPROMPT=$_credguard_rprompt
      if [[ -o promptsubst ]]; then
        PROMPT='${_credguard_shown:+$_credguard_shown }'"$_credguard_lprompt"
      else
        PROMPT="${_credguard_shown:+$_credguard_shown }$_credguard_lprompt"
      fi ;;
    none)
      PROMPT=$_credguard_lprompt RPROMPT=$_credguard_rprompt ;;
    *)
      PROMPT=$_credguard_lprompt
      if [[ -o promptsubst ]]; then
        # referenced, not pasted: the badge is never expanded as code
        RPROMPT='${_credguard_shown}${_credguard_shown:+${_credguard_rprompt:+ }}'"$_credguard_rprompt"
      else
        RPROMPT="$_credguard_shown${_credguard_shown:+${_credguard_rprompt:+ }}$_credguard_rprompt"
      fi ;;
  esac
}

(( ${+precmd_functions} )) || typeset -ga precmd_functions
(( ${precmd_functions[(Ie)_credguard_precmd]} )) || precmd_functions+=(_credguard_precmd)

# The guarded commands: a command-line prefix, then the minutes it is expected to run.
typeset -ga _credguard_guarded=(
  'terraform apply' 45 'terraform destroy' 45 'terraform import' 45 'terragrunt' 15
  'tofu apply' 15 'cdk deploy' 45 'cdk destroy' 45 'pulumi up' 15 'pulumi destroy' 15
  'sam deploy' 15 'serverless deploy' 15 'sls deploy' 15 'copilot deploy' 15
  'aws cloudformation deploy' 15
)

# Whether command line $1 is guarded: its prefix in reply[1], the minutes in reply[2], an
# AWS_PROFILE=… assignment in front of it in reply[3].
_credguard_guard_match() {
  local line=${1#"${1%%[^[:space:]]*}"} word entry profile= i
  # the cheap test first: the first word of a guarded command, else only the user's
  case ${line%%[[:space:]]*} in
    terraform|terragrunt|tofu|cdk|pulumi|sam|serverless|sls|copilot|aws) ;;
    [A-Za-z_]*=*) ;;
    *) [[ -n ${CREDGUARD_GUARD_COMMANDS-}$_credguard_cfg_cmds ]] || return 1 ;;
  esac
  # a command ends at a separator too: `terraform apply; echo done`
  line=${line//[[:space:];&|]/ }
  while :; do
    word=${line%%[[:space:]]*}
    # NAME=value in front of the command
    [[ $word == [A-Za-z_]*=* && ${word%%=*} != *[^A-Za-z0-9_]* ]] || break
    [[ $word == AWS_PROFILE=* ]] && profile=${word#AWS_PROFILE=}
    line=${line#"$word"}
    line=${line#"${line%%[^[:space:]]*}"}
  done
  # the environment's first, then config.toml's, then the built-in ones
  for entry in ${(s:;:)${CREDGUARD_GUARD_COMMANDS-}} ${(s:;:)_credguard_cfg_cmds}; do
    if [[ "$line " == "${entry%=*} "* ]]; then
      reply=("${entry%=*}" "${entry##*=}" "$profile")
      return 0
    fi
  done
  for (( i = 1; i < ${#_credguard_guarded}; i += 2 )); do
    if [[ "$line " == "${_credguard_guarded[i]} "* ]]; then
      reply=("${_credguard_guarded[i]}" "${_credguard_guarded[i+1]}" "$profile")
      return 0
    fi
  done
  return 1
}

# Seconds as `credguard` writes them (client/src/rules.rs short_duration), in REPLY.
_credguard_dur() {
  local s=$(( $1 < 0 ? 0 : $1 ))
  if (( s < 60 )); then
    REPLY=${s}s
  elif (( s < 3600 )); then
    REPLY=$(( s / 60 ))m
  elif (( s < 86400 )); then
    REPLY=$(( s / 3600 ))h${(l:2::0:)$(( s % 3600 / 60 ))}m
  else
    REPLY=$(( s / 86400 ))d
  fi
}

# The guard record (client/src/guardfile.rs) of the profile that command $1, expected to
# run $2 minutes, would use ($3: named in front of it), builtins only: 0 when the
# credentials last, 4 when they do not (the line printed, as `credguard exec --check`
# prints it), 1 when there is no record to go by.
_credguard_guard_file() {
  emulate -L zsh
  [[ -z ${AWS_ACCESS_KEY_ID-}${AWS_SECRET_ACCESS_KEY-}${CREDGUARD_SOCKET-} ]] || return 1
  [[ ${XDG_RUNTIME_DIR-} == /* && $2 == <-> ]] && (( _credguard_epoch )) || return 1
  local dir=$XDG_RUNTIME_DIR/credguard/badge
  local name=${3:-${AWS_PROFILE:-${AWS_DEFAULT_PROFILE:-default}}}
  [[ $name == [A-Za-z0-9_]* && $name != *[^A-Za-z0-9._-]* ]] || return 1
  [[ -f $dir/.guard/$name && $dir/.proc/exe -ef $dir/.exe ]] || return 1
  local line why= expires= expired= short= need=$(( $2 * 60 )) now=$EPOCHSECONDS
  for line in "${(@f)$(<$dir/.guard/$name)}"; do
    case $line in
      refuse=*) why=${line#refuse=} ;;
      expires=*) expires=${line#expires=} ;;
      expired=*) expired=${line#expired=} ;;
      short=*) short=${line#short=} ;;
    esac
  done 2>/dev/null
  if [[ -n $why ]]; then
    :
  elif [[ $expires != <-> ]]; then
    return 0
  elif (( expires <= now )); then
    _credguard_dur $(( now - expires ))
    why=${expired//'{ago}'/$REPLY}
  elif (( expires - now < need )); then
    _credguard_dur $(( expires - now ))
    why=${short//'{left}'/$REPLY}
    _credguard_dur $need
    why=${why//'{need}'/$REPLY}
  else
    return 0
  fi
  print -ru2 -- "credguard: before $1: $why"
  return 4
}

_credguard_preexec() {
  # $3: the full text (with aliases expanded); $1 is empty without a history
  local line=${3:-$1}
  line=${line#"${line%%[^[:space:]]*}"}
  # the cheap test inline (a function call costs as much as the rest)
  case ${line%%[[:space:]]*} in
    terraform|terragrunt|tofu|cdk|pulumi|sam|serverless|sls|copilot|aws|[A-Za-z_]*=*) ;;
    *) [[ -n ${CREDGUARD_GUARD_COMMANDS-}$_credguard_cfg_cmds ]] || return 0 ;;
  esac
  local mode=${CREDGUARD_GUARD:-${_credguard_cfg_mode:-warn}}
  [[ $mode != off ]] || return 0
  local -a reply
  _credguard_guard_match "$line" || return 0
  local rc=0
  _credguard_guard_file "${reply[@]}" || rc=$?
  if (( rc == 1 )); then
    rc=0
    local -a args=(exec --check --for "$reply[1]" --min-remaining "$reply[2]")
    [[ -n $reply[3] ]] && args+=(--profile "$reply[3]")
    "::CREDGUARD::" "${args[@]}" || rc=$?
  fi
  (( rc == 4 )) || return 0
  case $mode in
    ask)
      if read -q "?credguard: run it anyway? [y/N] " </dev/tty; then
        print -u2
        return 0
      fi
      print -u2
      kill -INT $$ ;;
    block)
      if [[ -n ${CREDGUARD_GUARD-} ]]; then
        print -u2 "credguard: not run (CREDGUARD_GUARD=block)"
      else
        print -u2 'credguard: not run ([guard] mode = "block" in config.toml)'
      fi
      kill -INT $$ ;;
  esac
  return 0
}

(( ${+preexec_functions} )) || typeset -ga preexec_functions
(( ${preexec_functions[(Ie)_credguard_preexec]} )) || preexec_functions+=(_credguard_preexec)
