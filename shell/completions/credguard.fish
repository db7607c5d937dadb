# fish completion for credguard: its commands, their flags, and profile names read from
# the AWS files by `credguard completions --profiles` (no daemon needed). Printed by
# `credguard completions fish`; installed as fish/vendor_completions.d/credguard.fish
# (scripts/install.sh and the .deb do this).

set -l commands check status doctor prompt init watch exec reload service completions man help
complete -c credguard -f
complete -c credguard -s h -l help -d 'show help'
complete -c credguard -n "not __fish_seen_subcommand_from $commands" -s V -l version -d 'print the version'

complete -c credguard -n "not __fish_seen_subcommand_from $commands" -a check -d 'diagnose and validate every profile (or one)'
complete -c credguard -n "not __fish_seen_subcommand_from $commands" -a status -d "the daemon's cached verdicts"
complete -c credguard -n "not __fish_seen_subcommand_from $commands" -a doctor -d 'the full report for this shell'
complete -c credguard -n "not __fish_seen_subcommand_from $commands" -a prompt -d 'the badge for this shell'
complete -c credguard -n "not __fish_seen_subcommand_from $commands" -a init -d 'print the prompt hook or a snippet'
complete -c credguard -n "not __fish_seen_subcommand_from $commands" -a watch -d 'a live feed of verdict changes'
complete -c credguard -n "not __fish_seen_subcommand_from $commands" -a exec -d 'run a command only if its credentials are usable'
complete -c credguard -n "not __fish_seen_subcommand_from $commands" -a reload -d 're-read the config and the AWS files'
complete -c credguard -n "not __fish_seen_subcommand_from $commands" -a service -d 'run credguardd as a user service'
complete -c credguard -n "not __fish_seen_subcommand_from $commands" -a completions -d 'print a completion script'
complete -c credguard -n "not __fish_seen_subcommand_from $commands" -a man -d 'print the manual page (roff)'
complete -c credguard -n "not __fish_seen_subcommand_from $commands" -a help -d 'help for a command'

complete -c credguard -n "__fish_seen_subcommand_from check doctor watch exec" -l profile -x -a "(command credguard completions --profiles 2>/dev/null)" -d 'the AWS profile'
complete -c credguard -n "__fish_seen_subcommand_from check status doctor" -l color -x -a "auto always never" -d 'when to colour'
complete -c credguard -n "__fish_seen_subcommand_from check status watch" -l json -d 'machine-readable output'
complete -c credguard -n "__fish_seen_subcommand_from check" -l offline -d 'no network: the files only'
complete -c credguard -n "__fish_seen_subcommand_from check" -l fresh -d 'ignore cached verdicts'
complete -c credguard -n "__fish_seen_subcommand_from prompt watch" -l ascii -d 'plain ASCII badge'
complete -c credguard -n "__fish_seen_subcommand_from watch" -l waybar -d 'waybar custom-module JSON'
complete -c credguard -n "__fish_seen_subcommand_from exec" -l min-remaining -x -d 'the credentials must last at least this long'
complete -c credguard -n "__fish_seen_subcommand_from exec" -l allow-unknown -d 'run even when the credentials could not be validated'
complete -c credguard -n "__fish_seen_subcommand_from exec" -l check -d 'run nothing: exit 0, or say why and exit 4'
complete -c credguard -n "__fish_seen_subcommand_from init" -x -a "zsh bash fish starship p10k tmux waybar i3blocks polybar swiftbar xbar"
complete -c credguard -n "__fish_seen_subcommand_from service" -x -a "install uninstall status"
complete -c credguard -n "__fish_seen_subcommand_from completions" -x -a "zsh bash fish"
complete -c credguard -n "__fish_seen_subcommand_from completions" -l profiles -d 'list the profile names'
complete -c credguard -n "__fish_seen_subcommand_from help" -x -a "$commands"
