# credguard prompt hook for fish. Load it from ~/.config/fish/config.fish with:
#   credguard init fish | source
#
# At every prompt it reads this shell's badge (empty when all is well) from the file the
# daemon keeps for the profile, with builtins only (no process); a shell with environment
# credentials, a profile the daemon keeps no file for, or a daemon that is not running asks
# `credguard prompt` instead. It keeps the badge in $CREDGUARD_BADGE and the function `credguard_badge`, and by
# default shows it before the right prompt there was before.
#
# Settings (read at every prompt):
#   CREDGUARD_BADGE_POSITION  right (default) | left | none
#   CREDGUARD_ASCII=1         plain ASCII badge
#   CREDGUARD_COLOR           a set_color colour (default red; none: no colour)
#   CREDGUARD_PROMPT_TIMEOUT_MS  deadline of the exchange (default 50)
#   CREDGUARD_GUARD           warn (default) | ask | block | off: the pre-command guard below
#   CREDGUARD_GUARD_COMMANDS  your own guarded commands: 'helm upgrade=20;make deploy=30'
#                             (a command prefix = the minutes it runs; yours come first)
# The two guard settings win over config.toml's [guard] table (mode, commands), which the
# daemon keeps in its badge directory for the hook to read at each prompt (builtins).
# Loading it twice changes nothing.
#
# The pre-command guard: before a command line that starts with a guarded command
# (terraform apply, cdk deploy… see _credguard_guarded) it runs `credguard exec --check`
# once, which prints one line to stderr when the credentials the command would use are
# invalid, expired, not validated, or expire before its expected minutes. warn: from
# fish_preexec. ask (y/N) and block need to stop the command, which fish_preexec cannot:
# with CREDGUARD_GUARD=ask|block set before this file is sourced, or [guard] mode ask or
# block in config.toml (from the prompt after the daemon wrote it), Enter is bound to
# _credguard_execute, which checks the line first. Other commands: no process.

if not functions -q _credguard_original_right_prompt
    if functions -q fish_right_prompt
        functions -c fish_right_prompt _credguard_original_right_prompt
    else
        function _credguard_original_right_prompt
        end
    end
end
if not functions -q _credguard_original_prompt
    if functions -q fish_prompt
        functions -c fish_prompt _credguard_original_prompt
    else
        function _credguard_original_prompt
            printf '> '
        end
    end
end

set -g CREDGUARD_BADGE ''
# config.toml's [guard] table as the daemon keeps it; empty: none (the defaults)
set -g _credguard_cfg_mode ''
set -g _credguard_cfg_cmds ''
# tells `credguard doctor` that the hook is loaded
set -gx CREDGUARD_HOOK fish

function _credguard_set_status
    return $argv[1]
end

# config.toml's [guard] from the daemon's settings file (client/src/guardfile.rs),
# builtins only; with ask or block, Enter is bound to check the line first.
function _credguard_guard_settings
    set -g _credguard_cfg_mode ''
    set -g _credguard_cfg_cmds ''
    test -z "$CREDGUARD_SOCKET"; and string match -q -- '/*' "$XDG_RUNTIME_DIR"; or return 0
    set -l file $XDG_RUNTIME_DIR/credguard/badge/.guard/.settings
    test -f $file; or return 0
    while read -l line
        switch $line
            case 'mode=*'
                set -g _credguard_cfg_mode (string sub -s 6 -- $line)
            case 'commands=*'
                set -g _credguard_cfg_cmds (string sub -s 10 -- $line)
        end
    end <$file 2>/dev/null
    if contains -- (_credguard_guard_mode) ask block
        _credguard_bind
    end
end

# The guard's mode: CREDGUARD_GUARD, else config.toml's, else warn.
function _credguard_guard_mode
    if test -n "$CREDGUARD_GUARD"
        echo $CREDGUARD_GUARD
    else if test -n "$_credguard_cfg_mode"
        echo $_credguard_cfg_mode
    else
        echo warn
    end
end

# Where this shell's badge file is (client/src/badgefile.rs): $_credguard_file, and
# $_credguard_live, the same file under .live/badge/, a path that exists only while the
# daemon runs (.live → /proc/<pid>/fd/<n>) and keeps no [guard] settings; both empty (and
# status 1) when the fast path is not taken: env credentials, a moved socket, [guard]
# settings read, or a name that is not its own file name. The name is $AWS_PROFILE if
# set, else $AWS_DEFAULT_PROFILE if set, else .none (no name). A set-but-empty name names
# no profile the tools find (or leaves AWS_DEFAULT_PROFILE to them): the client asks the
# daemon.
function _credguard_locate
    set -g _credguard_file ''
    set -g _credguard_live ''
    test -z "$AWS_ACCESS_KEY_ID$AWS_SECRET_ACCESS_KEY$CREDGUARD_SOCKET$_credguard_cfg_mode$_credguard_cfg_cmds"
    and string match -q -- '/*' "$XDG_RUNTIME_DIR"
    or return 1
    set -l name $AWS_PROFILE $AWS_DEFAULT_PROFILE .none
    string match -qr -- '^([A-Za-z0-9_][A-Za-z0-9._-]*|\.none)$' "$name[1]"; or return 1
    if test -n "$CREDGUARD_ASCII" -a "$CREDGUARD_ASCII" != 0
        set name .ascii/$name[1]
    end
    set -g _credguard_file $XDG_RUNTIME_DIR/credguard/badge/$name[1]
    set -g _credguard_live $XDG_RUNTIME_DIR/credguard/badge/.live/badge/$name[1]
end

# When a variable the path depends on changes, the path is dropped; the next prompt's
# slow path works it out again then (not here: a change may be a function's local,
# gone by the prompt, with no event when it goes).
function _credguard_stale --on-variable AWS_PROFILE --on-variable AWS_DEFAULT_PROFILE \
    --on-variable CREDGUARD_ASCII --on-variable XDG_RUNTIME_DIR --on-variable CREDGUARD_SOCKET \
    --on-variable AWS_ACCESS_KEY_ID --on-variable AWS_SECRET_ACCESS_KEY \
    --on-variable _credguard_cfg_mode --on-variable _credguard_cfg_cmds
    set -g _credguard_live ''
end
_credguard_stale

function _credguard_refresh --on-event fish_prompt
    # The fast path: two builtins (each costs about 10 µs here; a function call as much
    # as its body, so nothing is called): one `test` that the badge file is there under
    # .live (which says the daemon is alive and keeps no [guard] settings), then one `read`
    # of it by its plain path (a path through /proc costs a few µs more; an empty file: an
    # empty badge). What else it depends on is in $_credguard_live (_credguard_locate).
    if test -f "$_credguard_live"
        read -g CREDGUARD_BADGE <$_credguard_file
    else
        _credguard_refresh_slow
    end
end

# The other paths: config.toml's [guard] when the daemon keeps one (or kept one), the path
# worked out again, then the badge file with the liveness record checked the longer way
# (the program at .proc, the daemon's pid, is the daemon's: .exe), else `credguard prompt`.
function _credguard_refresh_slow
    test -f "$XDG_RUNTIME_DIR/credguard/badge/.guard/.settings" -o -n "$_credguard_cfg_mode$_credguard_cfg_cmds"
    and _credguard_guard_settings
    if _credguard_locate
        if test -f "$_credguard_live"
            read -g CREDGUARD_BADGE <$_credguard_file
            return 0
        end
        if test -f $_credguard_file -a $XDG_RUNTIME_DIR/credguard/badge/.proc/exe -ef $XDG_RUNTIME_DIR/credguard/badge/.exe
            read -g CREDGUARD_BADGE <$_credguard_file; or set -g CREDGUARD_BADGE ''
            return 0
        end
    end
    if test -n "$CREDGUARD_ASCII"; and test "$CREDGUARD_ASCII" != 0
        set -g CREDGUARD_BADGE ("::CREDGUARD::" prompt --ascii 2>/dev/null)
    else
        set -g CREDGUARD_BADGE ("::CREDGUARD::" prompt 2>/dev/null)
    end
end

# The badge with its colour, and a space after it; nothing when all is well.
function credguard_badge
    test -n "$CREDGUARD_BADGE"; or return 0
    set -l color red
    set -q CREDGUARD_COLOR; and set color $CREDGUARD_COLOR
    if test "$color" = none
        printf '%s ' "$CREDGUARD_BADGE"
    else
        set_color $color
        printf '%s' "$CREDGUARD_BADGE"
        set_color normal
        printf ' '
    end
end

function fish_right_prompt
    set -l last_status $status
    if test "$CREDGUARD_BADGE_POSITION" != left; and test "$CREDGUARD_BADGE_POSITION" != none
        credguard_badge
    end
    _credguard_set_status $last_status
    _credguard_original_right_prompt
end

function fish_prompt
    set -l last_status $status
    if test "$CREDGUARD_BADGE_POSITION" = left
        credguard_badge
    end
    _credguard_set_status $last_status
    _credguard_original_prompt
end

# The guarded commands: a command prefix, then the minutes it is expected to run.
set -g _credguard_guarded 'terraform apply' 45 'terraform destroy' 45 'terraform import' 45 \
    terragrunt 15 'tofu apply' 15 'cdk deploy' 45 'cdk destroy' 45 'pulumi up' 15 \
    'pulumi destroy' 15 'sam deploy' 15 'serverless deploy' 15 'sls deploy' 15 \
    'copilot deploy' 15 'aws cloudformation deploy' 15

# Whether command line $argv[1] is guarded (a second argument: called from a key
# binding): 0 when its credentials are fine or it is not
# guarded; 4 (the warning printed) when they are not.
function _credguard_guard_check
    # a command ends at a separator too: `terraform apply; echo done`
    set -l line (string replace -ra '[\s;&|]' ' ' -- (string trim -l -- $argv[1]))
    set -l first (string split -m1 ' ' -- $line)[1]
    if not contains -- $first terraform terragrunt tofu cdk pulumi sam serverless sls copilot aws
        test -n "$CREDGUARD_GUARD_COMMANDS$_credguard_cfg_cmds"; or return 0
    end
    set -l table
    # the environment's first, then config.toml's, then the built-in ones
    for entry in (string split ';' -- "$CREDGUARD_GUARD_COMMANDS") (string split ';' -- "$_credguard_cfg_cmds")
        test -n "$entry"; or continue
        set -a table (string replace -r '=[^=]*$' '' -- $entry) (string replace -r '^.*=' '' -- $entry)
    end
    set -a table $_credguard_guarded
    for i in (seq 1 2 (count $table))
        if string match -q -- "$table[$i] *" "$line "
            # from a key binding: off the command line first
            set -q argv[2]; and echo
            "::CREDGUARD::" exec --check --for $table[$i] --min-remaining $table[(math $i + 1)]
            test $status -eq 4; and return 4
            return 0
        end
    end
    return 0
end

function _credguard_preexec --on-event fish_preexec
    test (_credguard_guard_mode) = warn; or return 0
    _credguard_guard_check $argv[1]
    return 0
end

# Enter with ask/block: the line is checked before it runs.
function _credguard_execute
    set -l line (commandline)
    set -l mode (_credguard_guard_mode)
    if contains -- "$mode" ask block
        if not _credguard_guard_check "$line" binding
            if test "$mode" = ask
                read -l -n 1 -P 'credguard: run it anyway? [y/N] ' answer
                if string match -qi y -- "$answer"
                    commandline -f execute
                    return
                end
            else if test -n "$CREDGUARD_GUARD"
                echo 'credguard: not run (CREDGUARD_GUARD=block)' >&2
            else
                echo 'credguard: not run ([guard] mode = "block" in config.toml)' >&2
            end
            commandline -r ''
            commandline -f repaint
            return
        end
    end
    commandline -f execute
end

# Enter checks the line first (once bound, it stays: with warn or off it only runs it).
function _credguard_bind
    set -q _credguard_bound; and return 0
    set -g _credguard_bound 1
    bind \r _credguard_execute
    bind \n _credguard_execute
    bind -M insert \r _credguard_execute 2>/dev/null
    bind -M insert \n _credguard_execute 2>/dev/null
end

if set -q CREDGUARD_GUARD; and contains -- "$CREDGUARD_GUARD" ask block
    _credguard_bind
end
