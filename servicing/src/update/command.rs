//! wimlib-imagex's update command language (`cli-compat.md` §1.4).
//!
//! One command per line: `add [OPTION…] SOURCE DEST`, `delete [--force] [--recursive]
//! PATH`, `rename OLD NEW`. `#` comment lines and blank lines are ignored; arguments are
//! separated by blanks and may be single- or double-quoted (quotes group, they are not
//! kept). Options may stand anywhere among the arguments. Options given to the command
//! (the [`Defaults`]) apply to every command of that kind.

use std::path::PathBuf;

/// Options of one `add` command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddOptions {
    /// Follow symbolic links of the source.
    pub dereference: bool,
    /// Store UNIX owner, group, mode and rdev.
    pub unix_data: bool,
    /// No security descriptors (always the case on Linux; accepted).
    pub no_acls: bool,
    /// Fail when security descriptors cannot be read (accepted; none are read on Linux).
    pub strict_acls: bool,
    /// Refuse to replace an existing non-directory.
    pub no_replace: bool,
    /// Report each file added.
    pub verbose: bool,
}

/// One update command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateCommand {
    /// Add a file or directory tree from the filesystem.
    Add {
        /// The file or directory to add.
        source: PathBuf,
        /// Where it goes in the image.
        dest: String,
        /// Its options.
        options: AddOptions,
    },
    /// Delete a file or directory tree.
    Delete {
        /// The path in the image.
        path: String,
        /// No error when `path` does not exist.
        force: bool,
        /// Allow deleting a directory with its contents.
        recursive: bool,
    },
    /// Rename (move) a file or directory tree, with POSIX `rename()` semantics.
    Rename {
        /// The old path.
        from: String,
        /// The new path.
        to: String,
    },
}

/// Options given once for all commands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Defaults {
    /// Default options of every `add`.
    pub add: AddOptions,
    /// `--force` for every `delete`.
    pub force: bool,
    /// `--recursive` for every `delete`.
    pub recursive: bool,
}

/// A syntax error in a command script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Splits one line into arguments: blanks separate, `'…'` and `"…"` group (the quotes are
/// removed; the other quote character is literal inside). `Err` for an unterminated quote.
pub fn split_args(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                have = true;
            }
            None if c.is_whitespace() => {
                if have {
                    out.push(std::mem::take(&mut cur));
                    have = false;
                }
            }
            None => {
                cur.push(c);
                have = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("unterminated {q} quote"));
    }
    if have {
        out.push(cur);
    }
    Ok(out)
}

/// Parses one command line (already known not to be blank or a comment).
pub fn parse_line(line: &str, defaults: &Defaults) -> Result<UpdateCommand, String> {
    let args = split_args(line)?;
    let Some((verb, rest)) = args.split_first() else {
        return Err("empty command".into());
    };
    let mut pos: Vec<&str> = Vec::new();
    let mut opts: Vec<&str> = Vec::new();
    for a in rest {
        if a.starts_with("--") && a.len() > 2 {
            opts.push(a);
        } else {
            pos.push(a);
        }
    }
    let want = |n: usize, usage: &str| -> Result<(), String> {
        if pos.len() == n {
            Ok(())
        } else {
            Err(format!(
                "wrong number of arguments to {verb} (usage: {usage})"
            ))
        }
    };
    match verb.as_str() {
        "add" => {
            let mut o = defaults.add;
            for x in &opts {
                match *x {
                    "--dereference" => o.dereference = true,
                    "--unix-data" => o.unix_data = true,
                    "--no-acls" | "--noacls" => o.no_acls = true,
                    "--strict-acls" => o.strict_acls = true,
                    "--no-replace" => o.no_replace = true,
                    "--verbose" => o.verbose = true,
                    other => return Err(format!("invalid option \"{other}\" for add")),
                }
            }
            want(2, "add [OPTION...] SOURCE DEST")?;
            Ok(UpdateCommand::Add {
                source: PathBuf::from(pos[0]),
                dest: pos[1].to_string(),
                options: o,
            })
        }
        "delete" => {
            let (mut force, mut recursive) = (defaults.force, defaults.recursive);
            for x in &opts {
                match *x {
                    "--force" => force = true,
                    "--recursive" => recursive = true,
                    other => return Err(format!("invalid option \"{other}\" for delete")),
                }
            }
            want(1, "delete [--force] [--recursive] PATH")?;
            Ok(UpdateCommand::Delete {
                path: pos[0].to_string(),
                force,
                recursive,
            })
        }
        "rename" => {
            if let Some(x) = opts.first() {
                return Err(format!("invalid option \"{x}\" for rename"));
            }
            want(2, "rename OLD NEW")?;
            Ok(UpdateCommand::Rename {
                from: pos[0].to_string(),
                to: pos[1].to_string(),
            })
        }
        other => Err(format!("unknown command \"{other}\"")),
    }
}

/// Parses a whole script (already decoded, see [`decode_script`]).
pub fn parse_script(text: &str, defaults: &Defaults) -> Result<Vec<UpdateCommand>, ParseError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(parse_line(line, defaults).map_err(|message| ParseError {
            line: i + 1,
            message,
        })?);
    }
    Ok(out)
}

/// Decodes a command script: UTF-8 (optional BOM) or UTF-16LE (BOM, or detected by
/// zero high bytes); invalid sequences become U+FFFD.
pub fn decode_script(bytes: &[u8]) -> String {
    crate::capture::config::decode_text(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_options() {
        let d = Defaults::default();
        assert_eq!(
            split_args(r#"add 'a b' "c 'd'"  e"#).unwrap(),
            vec!["add", "a b", "c 'd'", "e"]
        );
        assert!(split_args("add 'x").is_err());
        let c = parse_line("add --no-replace src '/x y'", &d).unwrap();
        assert_eq!(
            c,
            UpdateCommand::Add {
                source: "src".into(),
                dest: "/x y".into(),
                options: AddOptions {
                    no_replace: true,
                    ..Default::default()
                }
            }
        );
        let dd = Defaults {
            force: true,
            ..Default::default()
        };
        assert_eq!(
            parse_line("delete /a --recursive", &dd).unwrap(),
            UpdateCommand::Delete {
                path: "/a".into(),
                force: true,
                recursive: true
            }
        );
        assert!(parse_line("rename a", &d).is_err());
        assert!(parse_line("rename --force a b", &d).is_err());
        assert!(parse_line("copy a b", &d).is_err());
        assert!(parse_line("add --bogus a b", &d).is_err());
    }

    #[test]
    fn script_comments_and_utf16() {
        let s = "# c\n\n  add a /b\r\n   # x\nrename /b /c\n";
        let v = parse_script(s, &Defaults::default()).unwrap();
        assert_eq!(v.len(), 2);
        let e = parse_script("add a /b\nbad\n", &Defaults::default()).unwrap_err();
        assert_eq!(e.line, 2);
        let mut u = vec![0xFF, 0xFE];
        for c in "delete /x\n".encode_utf16() {
            u.extend_from_slice(&c.to_le_bytes());
        }
        assert_eq!(decode_script(&u), "delete /x\n");
        assert_eq!(decode_script(b"\xEF\xBB\xBFdelete /x"), "delete /x");
    }
}
