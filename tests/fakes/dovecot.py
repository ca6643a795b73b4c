"""A real IMAP server for tests: Debian's dovecot, started on a free loopback port with a throwaway
configuration, password file and Maildir under a temporary directory, and stopped afterwards.

:func:`start_dovecot` returns the reason instead of a server when the machine cannot run it
(dovecot not installed, not root, the package's users missing, the server not coming up), so the
tests that need it are skipped with that reason and nothing else.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={base}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass
class Dovecot:
    """A running dovecot: where it listens and how to stop it."""

    base: Path
    port: int
    host: str = "127.0.0.1"

    def stop(self) -> None:
        pid_file = self.base / "run" / "master.pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and port_open(self.host, self.port):
            time.sleep(0.02)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_dovecot(base: Path, users: dict[str, str]) -> Dovecot | str:
    """Start dovecot with ``users`` (login -> password) under ``base``: the server, or why not."""
    binary = shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if Path(p).exists()), None)
    if binary is None:
        return "dovecot is not installed (apt-get install dovecot-imapd; .ci/run does it)"
    if os.geteuid() != 0:
        return "dovecot needs root to start here (it switches to its own users)"
    try:
        dovecot_user = pwd.getpwnam("dovecot")
        pwd.getpwnam("dovenull")
    except KeyError:
        return "the dovecot and dovenull users are missing (a broken dovecot-core install)"
    port = free_port()
    for sub in ("run", "state", "home"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    for directory in (base, *base.parents):  # dovecot's users must reach the Maildir
        if directory == Path(directory.anchor):
            break
        os.chmod(directory, os.stat(directory).st_mode | 0o111)
    os.chown(base / "home", dovecot_user.pw_uid, dovecot_user.pw_gid)
    (base / "passwd").write_text("".join(f"{user}:{{PLAIN}}{password}\n" for user, password in users.items()))
    (base / "dovecot.conf").write_text(CONFIG.format(base=base, port=port))
    errors = base / "start.err"
    try:  # the daemon keeps the caller's stdout/stderr open: they go to files, never to pipes
        with open(errors, "wb") as err:
            started = subprocess.run([binary, "-c", str(base / "dovecot.conf")], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=err, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"dovecot did not start: {exc}"
    if started.returncode != 0:
        return f"dovecot did not start: {errors.read_text(errors='replace').strip()[:300]}"
    server = Dovecot(base, port)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if port_open(server.host, port):
            return server
        time.sleep(0.05)
    server.stop()
    log = (base / "dovecot.log").read_text(errors="replace")[-300:] if (base / "dovecot.log").exists() else ""
    return f"dovecot did not listen on 127.0.0.1:{port} within 10 s: {log}"
