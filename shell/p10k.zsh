# credguard's badge as a powerlevel10k segment. In ~/.zshrc, load credguard's hook
# *before* powerlevel10k (so its precmd runs first) and keep it out of RPROMPT:
#
#   export CREDGUARD_BADGE_POSITION=none
#   eval "$(credguard init zsh)"
#   source ~/powerlevel10k/powerlevel10k.zsh-theme
#
# then add this function (e.g. to ~/.p10k.zsh) and `credguard` to
# POWERLEVEL9K_RIGHT_PROMPT_ELEMENTS (or the left ones).
function prompt_credguard() {
  [[ -n $CREDGUARD_BADGE ]] && p10k segment -f red -t "${CREDGUARD_BADGE//\%/%%}"
}
