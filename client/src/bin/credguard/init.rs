//! `credguard init zsh|bash|fish`: the prompt hooks in `shell/`, embedded, printed with
//! the path of this program filled in; and the snippets for starship, p10k and tmux.

use crate::help::HELP_INIT;
use crate::{command_error, help, is_help};

const INIT_ZSH: &str = include_str!("../../../../shell/credguard.zsh");
const INIT_BASH: &str = include_str!("../../../../shell/credguard.bash");
const INIT_FISH: &str = include_str!("../../../../shell/credguard.fish");
const SNIPPET_STARSHIP: &str = include_str!("../../../../shell/starship.toml");
const SNIPPET_P10K: &str = include_str!("../../../../shell/p10k.zsh");
const SNIPPET_TMUX: &str = include_str!("../../../../shell/tmux.conf");
const SNIPPET_WAYBAR: &str = include_str!("../../../../shell/waybar.jsonc");
const SNIPPET_I3BLOCKS: &str = include_str!("../../../../shell/i3blocks.conf");
const SNIPPET_POLYBAR: &str = include_str!("../../../../shell/polybar.ini");
const SNIPPET_SWIFTBAR: &str = include_str!("../../../../shell/swiftbar.sh");
const PLACEHOLDER: &str = "::CREDGUARD::";
/// What `init` takes: the shells, then the snippets.
const SHELLS: [&str; 11] = [
    "zsh", "bash", "fish", "starship", "p10k", "tmux", "waybar", "i3blocks", "polybar", "swiftbar",
    "xbar",
];

pub fn init(args: &[String]) -> i32 {
    let shell = match args {
        [h] if is_help(h) => return help(HELP_INIT),
        [s] => s.as_str(),
        [] => return command_error("init", "init needs a shell: zsh, bash or fish").report(),
        [_, extra, ..] => {
            return command_error(
                "init",
                &format!("unexpected argument '{extra}': init takes one shell"),
            )
            .report();
        }
    };
    let (script, fish) = match shell {
        "zsh" => (INIT_ZSH, false),
        "bash" => (INIT_BASH, false),
        "fish" => (INIT_FISH, true),
        "starship" => return help(SNIPPET_STARSHIP.trim_end()),
        "p10k" => return help(SNIPPET_P10K.trim_end()),
        // status bars: the snippet with this program's path, like the hooks
        "tmux" => (SNIPPET_TMUX, false),
        "waybar" => (SNIPPET_WAYBAR, false),
        "i3blocks" => (SNIPPET_I3BLOCKS, false),
        "polybar" => (SNIPPET_POLYBAR, false),
        "swiftbar" | "xbar" => (SNIPPET_SWIFTBAR, false),
        other => {
            return command_error(
                "init",
                &format!(
                    "unknown shell '{other}' (zsh, bash or fish; snippets: starship, p10k, tmux, waybar, i3blocks, polybar, swiftbar)"
                ),
            )
            .suggest("shell", other, &SHELLS)
            .report();
        }
    };
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            errln!("credguard: cannot find the path of this program: {e}");
            return 2;
        }
    };
    let Some(exe) = exe.to_str() else {
        errln!(
            "credguard: the path of this program is not valid UTF-8: {}",
            exe.display()
        );
        return 2;
    };
    credguard_client::usage::out(&render_hook(script, exe, fish));
    0
}

/// The hook with every `::CREDGUARD::` (bare, or inside `"…"` or `'…'`) replaced by the
/// single-quoted path of this program.
fn render_hook(script: &str, exe: &str, fish: bool) -> String {
    let quoted = if fish {
        format!("'{}'", exe.replace('\\', "\\\\").replace('\'', "\\'"))
    } else {
        format!("'{}'", exe.replace('\'', "'\\''"))
    };
    script
        .replace(&format!("\"{PLACEHOLDER}\""), &quoted)
        .replace(&format!("'{PLACEHOLDER}'"), &quoted)
        .replace(PLACEHOLDER, &quoted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_are_rendered_with_a_quoted_path() {
        for (script, fish) in [(INIT_ZSH, false), (INIT_BASH, false), (INIT_FISH, true)] {
            assert!(script.contains(PLACEHOLDER));
            let r = render_hook(script, "/opt/my tools/credguard", fish);
            assert!(!r.contains(PLACEHOLDER));
            assert!(r.contains("'/opt/my tools/credguard' prompt"), "{r}");
        }
        assert_eq!(
            render_hook("\"::CREDGUARD::\" x", "/a'b", false),
            "'/a'\\''b' x"
        );
        assert_eq!(
            render_hook("::CREDGUARD:: x", "/a'b\\c", true),
            "'/a\\'b\\\\c' x"
        );
        assert_eq!(render_hook("'::CREDGUARD::' x", "/a", false), "'/a' x");
    }
}
