//! `openssl s_server` processes on 127.0.0.1 for the TLS prober's tests and bench.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An `openssl s_server` on 127.0.0.1, killed when dropped.
pub struct SServer {
    pub child: Child,
    pub port: u16,
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `openssl s_server` with `cert`, `key` and `extra` arguments on a free port, and
/// waits until it listens; another port is tried when the one picked was taken meanwhile.
pub fn s_server(cert: &Path, key: &Path, extra: &[&str]) -> SServer {
    for _ in 0..5 {
        let port = free_port();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl is needed here");
        let mut server = SServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            if server.child.try_wait().ok().flatten().is_some() {
                break; // it exited: the port was taken, or it refused its arguments
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("no openssl s_server would start with {extra:?}");
}
