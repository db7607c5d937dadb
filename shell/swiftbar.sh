#!/bin/sh
# credguard for SwiftBar and xbar (macOS menu bar): save as credguard.1m.sh in the plugin
# folder and make it executable. Each run prints the badge of the default profile as the
# title (a check mark when all is well), then `---` and the daemon's status, one menu item
# per line. SwiftBar and xbar re-run it every minute (the `1m` in the file name).
# <xbar.title>credguard</xbar.title>
# <xbar.desc>AWS credentials that are invalid, expired or expiring</xbar.desc>
# <swiftbar.hideRunInTerminal>true</swiftbar.hideRunInTerminal>
badge=$('::CREDGUARD::' prompt 2>/dev/null)
if [ -n "$badge" ]; then
    printf '%s | color=red\n' "$badge"
else
    printf 'aws ✓\n'
fi
printf -- '---\n'
'::CREDGUARD::' status 2>/dev/null | while IFS= read -r line; do
    [ -n "$line" ] && printf '%s | font=Menlo size=12\n' "$line"
done
printf 'credguard doctor | shell=%s param1=doctor terminal=true\n' '::CREDGUARD::'
