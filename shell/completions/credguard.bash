# bash completion for credguard: its commands, their flags, and profile names read from
# the AWS files by `credguard completions --profiles` (no daemon needed). Needs no
# bash-completion package. Printed by `credguard completions bash`; installed as
# bash-completion/completions/credguard (scripts/install.sh and the .deb do this), or
# load it with: source <(credguard completions bash)

_credguard() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]:-}
    local cmd=${COMP_WORDS[1]:-}
    local words=""
    COMPREPLY=()
    # `--profile=de`: bash splits it into `--profile`, `=`, `de`
    if [[ $cur == "=" ]]; then
        cur=""
    elif [[ $prev == "=" ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 2]:-}
    fi
    if ((COMP_CWORD == 1)); then
        words="check status doctor prompt init watch exec reload service completions man help --help --version"
    elif [[ $cmd == exec ]] && [[ " ${COMP_WORDS[*]:2:COMP_CWORD-2} " == *" -- "* ]]; then
        # after `exec ... --`: the command to run
        mapfile -t COMPREPLY < <(compgen -c -- "$cur")
        return 0
    else
        case $prev in
        --profile)
            local IFS=$'\n'
            # shellcheck disable=SC2207 # one name per line, IFS is a newline
            COMPREPLY=($(compgen -W "$(command credguard completions --profiles 2>/dev/null)" -- "$cur"))
            return 0
            ;;
        --color)
            words="auto always never"
            ;;
        --min-remaining)
            return 0
            ;;
        *)
            case $cmd in
            check) words="--profile --json --offline --fresh --color --help" ;;
            status) words="--json --color --help" ;;
            doctor) words="--profile --color --help" ;;
            prompt) words="--ascii --help" ;;
            init) words="zsh bash fish starship p10k tmux waybar i3blocks polybar swiftbar xbar --help" ;;
            watch) words="--json --waybar --ascii --profile --help" ;;
            exec) words="--min-remaining --allow-unknown --check --profile --help --" ;;
            reload | man) words="--help" ;;
            service) words="install uninstall status --help" ;;
            completions) words="zsh bash fish --profiles --help" ;;
            help) words="check status doctor prompt init watch exec reload service completions man help" ;;
            esac
            ;;
        esac
    fi
    # shellcheck disable=SC2207 # the words are fixed and have no spaces
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}

complete -F _credguard credguard
