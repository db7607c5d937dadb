# credguard prompt hook for zsh. Load it from ~/.zshrc with:
#   eval "$(credguard init zsh)"
# Before each prompt, puts credguard's badge (empty when all is well) in front of
# RPROMPT. Loading it twice changes nothing.

(( ${+_credguard_rprompt} )) || typeset -g _credguard_rprompt="$RPROMPT"
typeset -g _credguard_badge=''

_credguard_precmd() {
  local badge
  badge="$("::CREDGUARD::" prompt 2>/dev/null)"
  # % starts a prompt escape: double it; add a space before the user's RPROMPT
  _credguard_badge="${badge//\%/%%}${badge:+${_credguard_rprompt:+ }}"
  if [[ -o promptsubst ]]; then
    # referenced, not pasted: the badge is never expanded as code
    RPROMPT='${_credguard_badge}'"$_credguard_rprompt"
  else
    RPROMPT="$_credguard_badge$_credguard_rprompt"
  fi
}

(( ${precmd_functions[(Ie)_credguard_precmd]} )) || precmd_functions+=(_credguard_precmd)
