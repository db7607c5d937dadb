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
# Loading it twice changes nothing.

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
# tells `credguard doctor` that the hook is loaded
set -gx CREDGUARD_HOOK fish

function _credguard_set_status
    return $argv[1]
end

# The badge from the daemon's badge file (client/src/badgefile.rs), builtins only: 0 when
# read. Only without env credentials, with the socket in its default place, on Linux (the
# liveness record's pid is looked up in /proc).
function _credguard_from_file
    test -z "$AWS_ACCESS_KEY_ID$AWS_SECRET_ACCESS_KEY$CREDGUARD_SOCKET"; or return 1
    string match -q -- '/*' "$XDG_RUNTIME_DIR"; or return 1
    set -l dir $XDG_RUNTIME_DIR/credguard/badge
    set -l name "$AWS_PROFILE"
    test -n "$name"; or set name "$AWS_DEFAULT_PROFILE"
    # set but empty names no profile the tools find: the client asks the daemon
    if test -z "$name"
        set -q AWS_PROFILE; or set -q AWS_DEFAULT_PROFILE; and return 1
    end
    set -l file .none
    if test -n "$name"
        # a name that is its own file name; any other is asked of the daemon
        string match -qr -- '^[A-Za-z0-9_][A-Za-z0-9._-]*$' "$name"; or return 1
        set file $name
    end
    if test -n "$CREDGUARD_ASCII"; and test "$CREDGUARD_ASCII" != 0
        set file .ascii/$file
    end
    test -f $dir/.pid; and test -f $dir/$file; or return 1
    read -l pid <$dir/.pid
    string match -qr -- '^[0-9]+$' "$pid"; and test -r /proc/$pid/stat; or return 1
    # alive: /proc/<pid>/stat names credguardd in a state other than zombie or dead
    read -l stat </proc/$pid/stat
    string match -qr -- "^$pid \(credguardd\) [^ZX]" "$stat"; or return 1
    read -l text <$dir/$file
    set -g CREDGUARD_BADGE "$text"
    return 0
end

function _credguard_refresh --on-event fish_prompt
    if _credguard_from_file
        return
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
