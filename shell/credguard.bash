# credguard prompt hook for bash. Load it from ~/.bashrc with:
#   eval "$(credguard init bash)"
# From PROMPT_COMMAND, puts credguard's badge (empty when all is well) in front of
# PS1. Loading it twice changes nothing.

_credguard_prompt() {
  local status=$?
  _credguard_badge=$("::CREDGUARD::" prompt 2>/dev/null)
  # PS1 refers to the badge instead of containing it: it is never expanded as code.
  # Re-added whenever something else rebuilt PS1.
  case $PS1 in
    *'${_credguard_badge'*) ;;
    *) PS1='${_credguard_badge:+$_credguard_badge }'"$PS1" ;;
  esac
  return $status
}

case $PROMPT_COMMAND in
  *_credguard_prompt*) ;;
  *) PROMPT_COMMAND="${PROMPT_COMMAND:+$PROMPT_COMMAND$'\n'}_credguard_prompt" ;;
esac
