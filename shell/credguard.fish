# credguard prompt hook for fish. Load it from ~/.config/fish/config.fish with:
#   credguard init fish | source
# Wraps fish_right_prompt: credguard's badge (empty when all is well), then the
# right prompt there was before. Loading it twice changes nothing.

if not functions -q _credguard_original_right_prompt
    if functions -q fish_right_prompt
        functions -c fish_right_prompt _credguard_original_right_prompt
    else
        function _credguard_original_right_prompt
        end
    end
end

function _credguard_set_status
    return $argv[1]
end

function fish_right_prompt
    set -l last_status $status
    set -l badge ("::CREDGUARD::" prompt 2>/dev/null)
    if test -n "$badge"
        printf '%s ' "$badge"
    end
    _credguard_set_status $last_status
    _credguard_original_right_prompt
end
