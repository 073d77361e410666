//! Private PostgreSQL 15 clusters for the tests that stop a database or stream to a replica:
//! the shared one on port 5432 is never stopped or reconfigured.
//!
//! A cluster lives in a temporary directory owned by `postgres` (initdb and postgres refuse to run
//! as root, and the tests do), on a free port, with trust authentication on loopback only. Its
//! server is stopped when the cluster is dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

const BIN: &str = "/usr/lib/postgresql/15/bin";

/// A private cluster: its directory, data directory and port.
pub(crate) struct Cluster {
    dir: TempDir,
    port: u16,
}

impl Cluster {
    /// A new cluster, started; `None` (skip) when PostgreSQL 15 is not installed here, unless
    /// `HOCBA_REQUIRE_POSTGRES` is set, when its absence fails the test.
    pub(crate) fn primary() -> Option<Cluster> {
        if !Path::new(BIN).join("initdb").exists() {
            assert!(
                std::env::var_os("HOCBA_REQUIRE_POSTGRES").is_none(),
                "HOCBA_REQUIRE_POSTGRES is set but {BIN} holds no PostgreSQL"
            );
            eprintln!("skipped: no PostgreSQL binaries in {BIN}");
            return None;
        }
        let cluster = Cluster::empty();
        cluster.as_postgres(
            "initdb",
            &["-D", &cluster.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        );
        cluster.configure();
        cluster.start();
        Some(cluster)
    }

    /// A streaming replica of this cluster (`pg_basebackup -R`), started, that applies each
    /// commit `apply_delay` after the primary made it (PostgreSQL's
    /// `recovery_min_apply_delay`): a lag the test chooses, whatever the machine's speed.
    pub(crate) fn replica(&self, apply_delay: &str) -> Cluster {
        let replica = Cluster::empty();
        let port = self.port.to_string();
        replica.as_postgres(
            "pg_basebackup",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-D", &replica.data(), "-R"],
        );
        replica.configure();
        let conf = Path::new(&replica.data()).join("postgresql.auto.conf");
        let mut settings = std::fs::read_to_string(&conf).unwrap();
        settings.push_str(&format!("recovery_min_apply_delay = '{apply_delay}'\n"));
        std::fs::write(&conf, settings).unwrap();
        replica.start();
        replica
    }

    /// `postgres://…` of database `postgres` on this cluster.
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server and waits until it accepts connections.
    pub(crate) fn start(&self) {
        let log = self.dir.path().join("server.log");
        self.as_postgres(
            "pg_ctl",
            &["-D", &self.data(), "-l", log.to_str().unwrap(), "-w", "start"],
        );
    }

    /// Stops the server (fast: sessions are disconnected, transactions rolled back).
    pub(crate) fn stop(&self) {
        self.as_postgres("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    fn empty() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let owned = Command::new("chown").arg("postgres:postgres").arg(dir.path()).status();
        assert!(owned.unwrap().success(), "cannot give {} to postgres", dir.path().display());
        let port = crate::crash::free_port();
        Cluster { dir, port }
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// This cluster's own port and socket directory, and no durability (a test's data dies with
    /// it); listening on loopback only.
    fn configure(&self) {
        let conf = PathBuf::from(self.data()).join("postgresql.auto.conf");
        let mut settings = std::fs::read_to_string(&conf).unwrap_or_default();
        settings.push_str(&format!(
            "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = off\nfull_page_writes = off\nmax_connections = 200\n",
            self.port,
            self.dir.path().display()
        ));
        std::fs::write(&conf, settings).unwrap();
        let owned = Command::new("chown").arg("postgres:postgres").arg(&conf).status();
        assert!(owned.unwrap().success());
    }

    fn as_postgres(&self, program: &str, args: &[&str]) -> Output {
        let output = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(Path::new(BIN).join(program))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(Path::new(BIN).join("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .output();
    }
}
