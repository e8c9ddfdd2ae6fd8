//! The README's examples are true: every indented `$ ...` line in README.md
//! is run on a terminal (a pty made by `script`) in a copy of the demo's
//! playground (`fcstats demo --keep`, as the quick start makes it), and what
//! it prints (stdout and stderr, as the terminal shows them) must be the
//! lines under it. Each block of examples
//! runs in its own fresh copy, its commands in order; `$ echo $?` prints the
//! previous command's exit code; other commands (`mv`, ...) run in the
//! block's folder too. Expected output may say `...`
//! for any number of lines; a poll's elapsed time (`0.01s`) and the
//! playground's folder (`/home/you/fcstats-demo`) are the only things made
//! equal before comparing. After a deliberate change,
//! `FCSTATS_UPDATE_README=1 cargo test --test readme` writes what each
//! example prints into README.md; review the diff.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Where the README says the playground is.
const README_DIR: &str = "/home/you/fcstats-demo";

struct Example {
    line: usize,
    command: String,
    want: Vec<String>,
}

/// The README's `$` examples, in blocks (a block ends at a line that is not
/// indented by four spaces).
fn examples(readme: &str) -> Vec<Vec<Example>> {
    let mut blocks: Vec<Vec<Example>> = Vec::new();
    let mut block: Vec<Example> = Vec::new();
    for (i, line) in readme.lines().enumerate() {
        let code = line.strip_prefix("    ");
        match code {
            Some(code) if code.starts_with("$ ") => block.push(Example {
                line: i + 1,
                command: code[2..].to_owned(),
                want: Vec::new(),
            }),
            Some(out) if !block.is_empty() && !out.trim().is_empty() => {
                block.last_mut().unwrap().want.push(out.to_owned())
            }
            _ => {
                if !block.is_empty() {
                    blocks.push(std::mem::take(&mut block));
                }
            }
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    blocks
}

/// `; 0.42s` at the end of a poll summary → `; N.NNs`.
fn normalize(line: &str, dir: &str) -> String {
    let line = line.replace(dir, README_DIR);
    let line = line.trim_end();
    if let Some((head, tail)) = line.rsplit_once("; ") {
        if let Some(secs) = tail.strip_suffix('s') {
            if secs.parse::<f64>().is_ok() && secs.contains('.') {
                return format!("{head}; N.NNs");
            }
        }
    }
    line.to_owned()
}

/// `want` (with `...` for any lines) matches `got`.
fn matches(want: &[String], got: &[String]) -> bool {
    match want.split_first() {
        None => got.is_empty(),
        Some((w, rest)) if w.trim() == "..." => {
            (0..=got.len()).any(|skip| matches(rest, &got[skip..]))
        }
        Some((w, rest)) => got.first().is_some_and(|g| g == w) && matches(rest, &got[1..]),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_fcstats"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn every_readme_example_prints_what_the_readme_says() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let blocks = examples(&readme);
    assert!(blocks.len() >= 8, "only {} example blocks", blocks.len());
    let w = Workdir::new();
    let mut demo = w.command(&["demo", "--keep", "playground"]);
    demo.env("TZ", "UTC");
    assert!(demo.output().unwrap().status.success());
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap());
    let mut failures = Vec::new();
    // (line after the command, lines of output shown, what it printed)
    let mut updates: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for (n, block) in blocks.iter().enumerate() {
        let dir = w.path(&format!("block-{n}"));
        copy_dir(&w.path("playground"), &dir);
        let shown = dir.display().to_string();
        let mut last_code = 0;
        for ex in block {
            let got: Vec<String> = if ex.command.trim() == "echo $?" {
                vec![last_code.to_string()]
            } else {
                // On a terminal, as a reader types it: `script` gives the
                // command a pty (of width 0: tables are not squeezed).
                let out = Command::new("script")
                    .args(["-qec", &ex.command, "/dev/null"])
                    .stdin(std::process::Stdio::null())
                    .current_dir(&dir)
                    .env("PATH", &path)
                    .env("HOME", w.dir.path())
                    .env("TZ", "UTC")
                    .env_remove("COLUMNS")
                    .env_remove("FCSTATS_CONFIG")
                    .env_remove("FCSTATS_DB")
                    .env_remove("RUST_LOG")
                    .env_remove("SSH_AUTH_SOCK")
                    .output()
                    .unwrap();
                last_code = out.status.code().unwrap_or(-1);
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(|l| l.trim_end_matches('\r'))
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| normalize(l, &shown))
                    .collect()
            };
            let want: Vec<String> = ex.want.iter().map(|l| normalize(l, &shown)).collect();
            if !matches(&want, &got) && !want.iter().any(|l| l.trim() == "...") {
                updates.push((ex.line, ex.want.len(), got.clone()));
            }
            if !matches(&want, &got) {
                failures.push(format!(
                    "README.md:{}: $ {}\n--- README says ---\n{}\n--- it prints ---\n{}\n",
                    ex.line,
                    ex.command,
                    want.join("\n"),
                    got.join("\n")
                ));
            }
        }
    }
    if std::env::var_os("FCSTATS_UPDATE_README").is_some() {
        update(&readme, &updates);
        return;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `FCSTATS_UPDATE_README=1`: writes what each example printed under it in
/// README.md (examples whose output says `...` are left alone); review the diff.
fn update(readme: &str, updates: &[(usize, usize, Vec<String>)]) {
    let mut lines: Vec<String> = readme.lines().map(str::to_owned).collect();
    for (line, len, got) in updates.iter().rev() {
        let new: Vec<String> = got.iter().map(|l| format!("    {l}")).collect();
        lines.splice(*line..*line + *len, new);
    }
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    std::fs::write(file, lines.join("\n") + "\n").unwrap();
}

#[test]
fn the_matcher_takes_ellipses_and_the_parser_finds_blocks() {
    let s = |v: &[&str]| v.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(matches(&s(&["a", "...", "d"]), &s(&["a", "b", "c", "d"])));
    assert!(matches(&s(&["a", "..."]), &s(&["a"])));
    assert!(!matches(&s(&["a", "d"]), &s(&["a", "b", "d"])));
    assert!(!matches(&s(&["a"]), &s(&["a", "b"])));
    assert_eq!(
        normalize("fcstats: poll at X: 0 transitions; 0.42s  ", "/x"),
        "fcstats: poll at X: 0 transitions; N.NNs"
    );
    let blocks =
        examples("text\n\n    $ fcstats a\n    out 1\n    $ echo $?\n    0\n\nmore\n    $ b\n");
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0][0].want, ["out 1"]);
    assert_eq!(blocks[0][1].command, "echo $?");
    assert_eq!(blocks[1][0].line, 9);
}
