//! Child processes of the tests (Redis, relays, `spin up`): output echoed (shown for failing
//! tests) and handed over line by line, killed on drop, and free loopback ports for them.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::sync::mpsc::{self, UnboundedSender};

/// How long a process may take to be ready (`spin up` compiling components takes longer: the
/// caller passes its own patience to [`Process::wait_for_line_within`]).
pub const STARTUP: Duration = Duration::from_secs(10);

pub struct Process {
    child: Child,
    name: &'static str,
    /// The process's output lines, until it ends.
    lines: mpsc::UnboundedReceiver<String>,
    /// Killed as a process group: `spin up` runs the application in a child of its own.
    group: bool,
}

impl Process {
    /// Starts `command`; panics when its program is not installed.
    pub fn spawn(name: &'static str, command: Command) -> Process {
        Process::start(name, command, false)
    }

    /// Starts `command` in a process group of its own, all of which is killed on drop.
    pub fn spawn_group(name: &'static str, mut command: Command) -> Process {
        command.process_group(0);
        Process::start(name, command, true)
    }

    fn start(name: &'static str, mut command: Command, group: bool) -> Process {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => panic!(
                "{name}: {:?} was not found ({err}); these tests need it installed \
                 (tests/run.sh installs what they need)",
                command.get_program()
            ),
            Err(err) => panic!("{name}: cannot start {:?}: {err}", command.get_program()),
        };
        let (tx, lines) = mpsc::unbounded_channel();
        echo(name, child.stdout.take().expect("stdout"), tx.clone());
        echo(name, child.stderr.take().expect("stderr"), tx);
        Process {
            child,
            name,
            lines,
            group,
        }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for an output line containing `marker`. `Err` when the process ends first (such as
    /// a port taken meanwhile); panics when neither happens within [`STARTUP`].
    pub async fn wait_for_line(&mut self, marker: &str) -> Result<String, String> {
        self.wait_for_line_within(marker, STARTUP).await
    }

    pub async fn wait_for_line_within(
        &mut self,
        marker: &str,
        patience: Duration,
    ) -> Result<String, String> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) if line.contains(marker) => return Ok(line),
                Ok(Some(_)) => continue,
                Ok(None) => return Err(self.ended()),
                Err(_) => panic!("{}: no {marker:?} within {patience:?}", self.name),
            }
        }
    }

    /// `Some` (how it ended) once the process has ended.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!("{} ended during startup ({status})", self.name)),
            _ => None,
        }
    }

    fn ended(&mut self) -> String {
        let status = self.child.wait().map(|s| s.to_string());
        format!("{} ended during startup ({status:?})", self.name)
    }

    /// Sends `signal` to the process.
    pub fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: kill(2) only reads its arguments; the pid is our own unreaped child.
        let sent = unsafe { libc::kill(pid, signal) };
        assert_eq!(sent, 0, "{}: kill({signal}) failed", self.name);
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.group {
            if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
                // SAFETY: kill(2) of the process group this process leads; no memory involved.
                unsafe { libc::kill(-pid, libc::SIGKILL) };
            }
        }
        // SIGKILL ends a stopped process too.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Echoes a process's output line by line (which also keeps the pipe from filling) and hands
/// each line to `lines`.
fn echo(name: &'static str, output: impl Read + Send + 'static, lines: UnboundedSender<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            eprintln!("{name}: {line}");
            let _ = lines.send(line);
        }
    });
}

/// A free loopback port, held until the listener is dropped.
pub fn reserve_port() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("local address").port();
    (listener, port)
}

/// CPU time (user and system) a process has used so far, in seconds; 0 once it is gone.
pub fn cpu_seconds(pid: u32) -> f64 {
    stat_fields(pid).map_or(0.0, |fields| stat_cpu_seconds(&fields))
}

/// CPU time (user and system) every live process of a process group has used so far, in seconds.
pub fn group_cpu_seconds(pgid: u32) -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(stat_fields)
        // pgrp, the 5th field: the 3rd after the command name.
        .filter(|fields| fields.get(2).and_then(|v| v.parse::<u32>().ok()) == Some(pgid))
        .map(|fields| stat_cpu_seconds(&fields))
        .sum()
}

/// The fields of `/proc/PID/stat` after the command name, which is in parentheses and may hold
/// spaces; `None` once the process is gone.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, fields) = stat.rsplit_once(')')?;
    Some(fields.split_whitespace().map(str::to_owned).collect())
}

/// utime and stime, the 14th and 15th fields (the 12th and 13th after the command name).
fn stat_cpu_seconds(fields: &[String]) -> f64 {
    let ticks: f64 = fields
        .iter()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<f64>().ok())
        .sum();
    // In USER_HZ, 100 a second on Linux.
    ticks / 100.0
}

/// A size field of a process's `/proc/PID/status` (`VmHWM:`, `VmRSS:`), in MiB; 0 once it is gone.
pub fn status_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
