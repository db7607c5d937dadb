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
# Loading it twice changes nothing.

(( ${+_credguard_rprompt} )) || typeset -g _credguard_rprompt="${RPROMPT-}"
(( ${+_credguard_lprompt} )) || typeset -g _credguard_lprompt="${PROMPT-}"
typeset -g CREDGUARD_BADGE='' _credguard_shown=''
# tells `credguard doctor` that the hook is loaded
export CREDGUARD_HOOK=zsh
typeset -g _credguard_zsocket=0
if zmodload zsh/net/socket 2>/dev/null && zmodload zsh/system 2>/dev/null; then
  _credguard_zsocket=1
fi

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

# The badge from the daemon's badge file (client/src/badgefile.rs) in REPLY, builtins
# only: 0 when read. Only with the socket in its default place, on Linux (the liveness
# record's pid is looked up in /proc).
_credguard_from_file() {
  emulate -L zsh
  [[ -z ${CREDGUARD_SOCKET-} && ${XDG_RUNTIME_DIR-} == /* ]] || return 1
  local dir=$XDG_RUNTIME_DIR/credguard/badge pid= stat= file=.none
  local name=${AWS_PROFILE:-${AWS_DEFAULT_PROFILE-}}
  # set but empty names no profile the tools find: the daemon is asked
  [[ -n $name || -z ${AWS_PROFILE+x}${AWS_DEFAULT_PROFILE+x} ]] || return 1
  if [[ -n $name ]]; then
    # a name that is its own file name; any other is asked of the daemon
    [[ $name == [A-Za-z0-9_]* && $name != *[^A-Za-z0-9._-]* ]] || return 1
    file=$name
  fi
  [[ -n ${CREDGUARD_ASCII-} && ${CREDGUARD_ASCII-} != 0 ]] && file=.ascii/$file
  [[ -f $dir/.pid && -f $dir/$file && -r /proc ]] || return 1
  read -r pid <$dir/.pid || [[ -n $pid ]] || return 1
  # alive: /proc/<pid>/stat names credguardd in a state other than zombie or dead
  [[ -r /proc/$pid/stat ]] || return 1
  read -r stat </proc/$pid/stat || return 1
  [[ $stat == "$pid (credguardd) "[^ZX]* ]] || return 1
  REPLY=
  IFS= read -r REPLY <$dir/$file
  return 0
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

_credguard_precmd() {
  local badge color
  if [[ -z ${AWS_ACCESS_KEY_ID-}${AWS_SECRET_ACCESS_KEY-} ]] && _credguard_from_file; then
    badge=$REPLY
  elif (( _credguard_zsocket )) && [[ -z ${AWS_ACCESS_KEY_ID-}${AWS_SECRET_ACCESS_KEY-} ]]; then
    _credguard_ask
    badge=$REPLY
  elif [[ -n ${CREDGUARD_ASCII-} && ${CREDGUARD_ASCII-} != 0 ]]; then
    badge="$("::CREDGUARD::" prompt --ascii 2>/dev/null)"
  else
    badge="$("::CREDGUARD::" prompt 2>/dev/null)"
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
