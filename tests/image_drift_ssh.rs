//! image-drift over `ssh://`, the way operators observe a production host: a real sshd on
//! 127.0.0.1 (Debian's openssh-server) with a key the test makes, an ssh-agent holding it, and
//! `docker system dial-stdio` on the far side. Skipped with a printed reason where sshd, the ssh
//! tools or a Docker engine are missing, unless DRIFTGATE_REQUIRE_DOCKER is set (`.ci/run`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn which(bin: &str) -> Option<PathBuf> {
    let candidates = std::env::var("PATH").unwrap_or_default() + ":/usr/sbin:/sbin";
    candidates
        .split(':')
        .map(|d| PathBuf::from(d).join(bin))
        .find(|p| p.is_file())
}

fn skip(why: &str) -> bool {
    if std::env::var_os("DRIFTGATE_REQUIRE_DOCKER").is_some() {
        panic!("{why}, and DRIFTGATE_REQUIRE_DOCKER is set");
    }
    eprintln!("skipping: {why}");
    true
}

struct Killer(Vec<Child>, PathBuf);

impl Drop for Killer {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("sshd did not listen on {port}");
}

fn wait_for_file(p: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && !p.exists() {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(p.exists(), "{} never appeared", p.display());
}

fn image_drift(compose: &Path, host: &str, env: &[(&str, &Path)]) -> serde_json::Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftgate"));
    cmd.args(["image-drift", "--compose"]).arg(compose).args([
        "--docker-host",
        host,
        "--json",
        "--timeout",
        "30",
    ]);
    cmd.env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("DOCKER_HOST");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("driftgate");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn the_engine_is_read_over_ssh_as_over_the_socket() {
    let tools: Vec<Option<PathBuf>> = [
        "sshd",
        "ssh",
        "ssh-agent",
        "ssh-add",
        "ssh-keygen",
        "docker",
    ]
    .iter()
    .map(|b| which(b))
    .collect();
    if tools.iter().any(Option::is_none)
        && skip("sshd, the ssh tools or docker are missing (apt-get install openssh-server)")
    {
        return;
    }
    if !Command::new("docker")
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        && skip("no Docker engine is reachable")
    {
        return;
    }
    let dir = std::env::temp_dir().join(format!("driftgate-ssh-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let mut guard = Killer(Vec::new(), dir.clone());
    for key in ["hostkey", "client"] {
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(dir.join(key)));
    }
    std::fs::copy(dir.join("client.pub"), dir.join("authorized_keys")).expect("authorized_keys");
    // sshd listens where ssh looks by default, so that `ssh://root@127.0.0.1` (no port) is
    // tested as operators write it; the port form is tested below.
    let port = 22;
    if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        && skip("something already listens on 127.0.0.1:22")
    {
        return;
    }
    let config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/hostkey\nAuthorizedKeysFile {d}/authorized_keys\n\
         PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
         UsePAM no\nStrictModes no\nPidFile {d}/sshd.pid\n",
        d = dir.display()
    );
    std::fs::write(dir.join("sshd_config"), config).expect("config");
    std::fs::create_dir_all("/run/sshd").expect("privilege separation dir");
    let sshd = Command::new(which("sshd").expect("sshd"))
        .arg("-D")
        .arg("-f")
        .arg(dir.join("sshd_config"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sshd");
    guard.0.push(sshd);
    wait_for_port(port);
    let agent_sock = dir.join("agent.sock");
    let agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&agent_sock)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ssh-agent");
    guard.0.push(agent);
    wait_for_file(&agent_sock);
    run(Command::new("ssh-add")
        .arg("-q")
        .arg(dir.join("client"))
        .env("SSH_AUTH_SOCK", &agent_sock));
    // The host key is new on every run: drop whatever an earlier run left for 127.0.0.1 (port
    // 22 entries carry no port).
    let _ = Command::new("ssh-keygen")
        .args(["-R", "127.0.0.1"])
        .output();

    let compose = dir.join("compose.yml");
    std::fs::write(
        &compose,
        "name: sshcheck\nservices:\n  web:\n    image: 127.0.0.1:5999/none/app:v1\n",
    )
    .expect("compose");
    let over_socket = image_drift(&compose, "unix:///var/run/docker.sock", &[]);
    let over_ssh = image_drift(
        &compose,
        "ssh://root@127.0.0.1",
        &[("SSH_AUTH_SOCK", agent_sock.as_path())],
    );
    assert_eq!(over_ssh["result"], "finding", "{over_ssh}");
    assert_eq!(over_ssh["engine_calls"], 2);
    assert_eq!(over_ssh["findings"][0]["kind"], "missing-container");
    assert_eq!(over_ssh["findings"], over_socket["findings"]);
    // The same rows, apart from which engine each is about.
    let rows = |r: &serde_json::Value| {
        let mut m = r["modules"].clone();
        for row in m.as_array_mut().into_iter().flatten() {
            if let Some(o) = row.as_object_mut() {
                o.remove("engine");
            }
        }
        m
    };
    assert_eq!(rows(&over_ssh), rows(&over_socket));
    assert_eq!(over_ssh["modules"][0]["engine"], "ssh://root@127.0.0.1");

    // A port in the URL is given to ssh (`-p`): spelled out, the same answer...
    let with_port = image_drift(
        &compose,
        "ssh://root@127.0.0.1:22",
        &[("SSH_AUTH_SOCK", agent_sock.as_path())],
    );
    assert_eq!(with_port["exit_code"], 2, "{with_port}");
    assert_eq!(with_port["findings"], over_socket["findings"]);
    assert_eq!(rows(&with_port), rows(&over_socket));
    // ...and a port nothing listens on is an unreachable engine (5), not another host.
    let closed = image_drift(
        &compose,
        "ssh://root@127.0.0.1:1",
        &[("SSH_AUTH_SOCK", agent_sock.as_path())],
    );
    assert_eq!(closed["exit_code"], 5, "{closed}");
    let message = closed["findings"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("ssh://root@127.0.0.1:1") && message.contains("port 1"),
        "names the host and what ssh said: {closed}"
    );

    // Without the key (no agent) sshd refuses the login: auth (3), not an outage.
    let refused = image_drift(
        &compose,
        "ssh://root@127.0.0.1",
        &[("SSH_AUTH_SOCK", dir.join("no-agent.sock").as_path())],
    );
    assert_eq!(refused["exit_code"], 3, "{refused}");
}
