"""A throwaway PostgreSQL cluster on a unix socket in a temporary directory.

For the fleet push's tests and benchmark: ``initdb`` + ``pg_ctl`` from the installed server
(Debian keeps them in ``/usr/lib/postgresql/<version>/bin``, off the PATH), no TCP port, and
everything removed afterwards. PostgreSQL refuses to run as root, so as root (CI) the server
runs as the ``postgres`` user (or ``nobody``) through ``runuser``/``setpriv``, and the
directory is handed to that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "postgres"
#: A password-authenticated role (for tests of what a failed login prints).
PUSH_ROLE, PUSH_PASSWORD = "kiosk_push", "s3cr3t-Pa55-w0rd"


def find_bindir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: the PATH's, else the newest
    ``/usr/lib/postgresql/<version>/bin``, else None."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    candidates = glob.glob("/usr/lib/postgresql/*/bin/initdb") + glob.glob(
        "/usr/local/pgsql/bin/initdb")

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)

    for initdb in sorted(candidates, key=version, reverse=True):
        bindir = Path(initdb).parent
        if (bindir / "pg_ctl").exists():
            return bindir
    return None


def server_user() -> str | None:
    """The unprivileged user to run the server as when we are root (None when we aren't)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and there is no 'postgres' or 'nobody' user to run "
                       "PostgreSQL as (initdb refuses root)")


def why_unavailable() -> str | None:
    """Why a cluster can't be made here (None when it can)."""
    if find_bindir() is None:
        return ("PostgreSQL server binaries (initdb, pg_ctl) not found: `apt-get install "
                "postgresql` (Debian/Ubuntu) to run the fleet push tests")
    if os.geteuid() == 0 and not (shutil.which("runuser") or shutil.which("setpriv")):
        return "running as root without runuser or setpriv to start PostgreSQL as another user"
    return None


class PgCluster:
    """``with PgCluster() as pg: pg.dsn()``: a new cluster, started; stopped and removed after."""

    def __init__(self, *, fsync: bool = False, max_connections: int = 200) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError(why_unavailable() or "no PostgreSQL")
        self.bindir = bindir
        self.fsync = fsync
        self.max_connections = max_connections
        self.user = server_user()
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"

    def _run(self, *cmd: str) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bindir / cmd[0]), *cmd[1:]]
        if self.user is not None:
            if shutil.which("runuser"):
                argv = ["runuser", "-u", self.user, "--", *argv]
            else:
                argv = ["setpriv", f"--reuid={self.user}", f"--regid={self.user}",
                        "--init-groups", *argv]
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120,
                              cwd=self.root)
        if proc.returncode:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): "
                               f"{proc.stderr.strip()[-2000:]}\n{log}")
        return proc

    def start(self) -> PgCluster:
        """initdb, a password role for tests, then start on the socket directory."""
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o700)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth-local=trust",
                  "--auth-host=reject", "-E", "UTF8", "--locale=C", "--no-sync")
        hba = self.data / "pg_hba.conf"
        hba.write_text(f"local all {SUPERUSER} trust\nlocal all all scram-sha-256\n",
                       encoding="utf-8")
        opts = (f"-k {self.root} -c listen_addresses='' -c max_connections="
                f"{self.max_connections} -c fsync={'on' if self.fsync else 'off'}"
                f" -c synchronous_commit={'on' if self.fsync else 'off'}"
                " -c full_page_writes=off -c shared_buffers=32MB")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w",
                  "-t", "60", "start")
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {PUSH_ROLE} LOGIN PASSWORD '{PUSH_PASSWORD}'")
        return self

    def dsn(self, dbname: str = "postgres", user: str = SUPERUSER,
            password: str | None = None) -> str:
        """A key=value DSN for the socket."""
        pw = f" password={password}" if password is not None else ""
        return f"host={self.root} port=5432 dbname={dbname} user={user}{pw}"

    def url(self, dbname: str = "postgres", user: str = PUSH_ROLE,
            password: str = PUSH_PASSWORD) -> str:
        """The same as a ``postgresql://`` URL (the socket directory URL-encoded)."""
        from urllib.parse import quote

        return (f"postgresql://{user}:{quote(password, safe='')}@{quote(str(self.root), safe='')}"
                f":5432/{dbname}")

    def create_database(self, name: str) -> str:
        """A fresh database (owned by the password role); returns its superuser DSN."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" OWNER {PUSH_ROLE}')
        return self.dsn(name)

    def stop(self) -> None:
        """Stop the server at once and remove everything."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
