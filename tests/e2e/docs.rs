//! Docs that run: every ```sh block of README.md and docs/*.md runs, as written, with bash,
//! against the real binary serving `serve --demo`, so the examples cannot rot.
//!
//! Each file's blocks run in order in one bash (`set -euo pipefail`), so a block may use what
//! an earlier block of the same file set; each file starts from the variables `serve --demo`
//! writes to `hocba-demo.env` (API, ADMIN_TOKEN, CLASS_ID, NUMBER, …), with `hocba` on the
//! PATH. A block that must not run (it needs what CI lacks: a release build, a second server,
//! an identity provider) is fenced ```sh no-run; show output in a ``` block without a language.
//! The demo runs on SQLite: the examples are about the API, not the store.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// One runnable block: the file, the line its fence is on, and its text.
struct Block {
    file: String,
    line: usize,
    text: String,
}

/// The ```sh (or ```bash) blocks of a Markdown file, without those marked `no-run`.
fn blocks(file: &str, markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in markdown.lines().enumerate() {
        let fence = line.trim_start();
        match &mut open {
            Some(block) if fence.starts_with("```") => {
                blocks.push(std::mem::replace(block, Block::empty()));
                open = None;
            }
            Some(block) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            None => {
                if let Some(info) = fence.strip_prefix("```") {
                    let words: Vec<&str> = info.split_whitespace().collect();
                    let runs = matches!(words.first(), Some(&"sh" | &"bash"))
                        && !words.contains(&"no-run");
                    let mut block =
                        Block { file: file.to_owned(), line: index + 1, text: String::new() };
                    if !runs {
                        block.file.clear(); // read to its closing fence, then dropped
                    }
                    open = Some(block);
                }
            }
        }
    }
    blocks.retain(|block| !block.file.is_empty());
    blocks
}

impl Block {
    fn empty() -> Block {
        Block { file: String::new(), line: 0, text: String::new() }
    }
}

/// The documents whose examples run: README.md and docs/*.md.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut documents: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    documents.sort();
    documents.insert(0, root.join("README.md"));
    documents
}

/// A server stopped when dropped, even by a failing assertion.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `hocba serve --demo` in `work` on a free loopback port; returns it once it listens, with a
/// thread that keeps its log (for failure messages).
fn serve_demo(work: &Path) -> (Server, std::thread::JoinHandle<String>) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_hocba"))
        .current_dir(work)
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .env_remove("HOCBA_DATABASE_URL")
        .env_remove("HOCBA_ADMIN_TOKEN")
        .env_remove("HOCBA_BASE_URL")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap());
    let mut started = String::new();
    loop {
        let mut line = String::new();
        if log.read_line(&mut line).unwrap() == 0 {
            panic!("`hocba serve --demo` stopped before serving:\n{started}");
        }
        started.push_str(&line);
        if line.contains("hocba is serving") {
            break;
        }
    }
    let rest = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = log.read_to_string(&mut rest);
        rest
    });
    (Server(server), rest)
}

#[test]
fn every_sh_block_in_the_docs_runs_against_the_demo() {
    if Command::new("jq").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("HOCBA_REQUIRE_JQ").is_none(),
            "HOCBA_REQUIRE_JQ is set but jq is not installed"
        );
        eprintln!("skipped: the docs' examples use jq, which is not installed");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    let (server, log) = serve_demo(work.path());
    let bin = Path::new(env!("CARGO_BIN_EXE_hocba")).parent().unwrap().to_owned();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut failures = Vec::new();
    let mut ran = 0;
    for document in documents(root) {
        let name = document.strip_prefix(root).unwrap().display().to_string();
        let blocks = blocks(&name, &std::fs::read_to_string(&document).unwrap());
        if blocks.is_empty() {
            continue;
        }
        // One bash per file: `set -e` stops at the first failing command, and the trap names
        // the block it is in.
        let mut script = String::from(
            "set -euo pipefail\nsource ./hocba-demo.env\n\
             trap 'echo \"FAILED: $BLOCK (exit $?)\" >&2' ERR\n",
        );
        for block in &blocks {
            script.push_str(&format!(
                "BLOCK='{}, the block at line {}'\n{}\n",
                block.file, block.line, block.text
            ));
            ran += 1;
        }
        let output = Command::new("bash")
            .current_dir(work.path())
            .args(["-c", &script])
            .env("PATH", &path)
            .env("HOME", work.path())
            .env_remove("HOCBA_CLIENT_ID")
            .env_remove("HOCBA_CLIENT_SECRET")
            .output()
            .unwrap();
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stdout = String::from_utf8_lossy(&output.stdout);
            let tail = |text: &str| {
                text.lines()
                    .rev()
                    .take(15)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            failures.push(format!(
                "{name}: {}\n--- last output ---\n{}\n--- last errors ---\n{}",
                stderr.lines().rfind(|line| line.starts_with("FAILED: ")).unwrap_or("failed"),
                tail(&stdout),
                tail(&stderr)
            ));
        }
    }
    drop(server);
    let log = log.join().unwrap();
    let log: Vec<&str> = log.lines().collect();
    let log = log[log.len().saturating_sub(30)..].join("\n");
    assert!(ran > 10, "only {ran} blocks found: is the fence marker still ```sh?");
    assert!(failures.is_empty(), "{}\n--- server log ---\n{log}", failures.join("\n\n"));
}

#[test]
fn the_extractor_keeps_sh_blocks_and_drops_marked_and_other_ones() {
    let markdown = "```sh\necho one\n```\n```sh no-run\nexit 1\n```\n```\noutput\n```\n\
                    ```json\n{}\n```\n```bash\necho two\n```\n";
    let found = blocks("x.md", markdown);
    let found: Vec<(usize, &str)> = found.iter().map(|b| (b.line, b.text.as_str())).collect();
    assert_eq!(found, [(1, "echo one\n"), (13, "echo two\n")]);
}
