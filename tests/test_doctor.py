"""`gatehouse doctor`: each check of SECURITY.md's Deployment list passes on a deployment that keeps the rule and
fails on one that breaks it, from the very text of the /proc files, folders and uids it is handed; and the command,
run against a real server, reports every item, exits non-zero on a failure, and prints no personal value."""

from __future__ import annotations

import datetime
import ipaddress
import os
import subprocess
import sys
from pathlib import Path

from app.deployment import checks, machine
from app.deployment.checks import Status
from app.deployment.machine import ServerProcess
from app.deployment.torrc import torrc_snippet
from app.instance.folder import opened
from tests.conftest import serving
from tests.retention_helpers import register_one

TODAY = datetime.date(2027, 4, 1)
EVERY_ADDRESS = "0.0.0.0"  # noqa: S104 - what a server reachable from other machines listens on
ONION = "a" * 56 + ".onion"
HARDENED = {"PYTHONMALLOC": "malloc", "GLIBC_TUNABLES": "glibc.malloc.perturb=85", "glibc.malloc.tcache_count": "0"}


def proc_net_tcp(*sockets: tuple[str, int, str]) -> str:
    """/proc/net/tcp or tcp6 as the kernel writes it: (address, port, state) per line, 32-bit words in host order."""
    lines = ["  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"]
    for number, (address, port, state) in enumerate(sockets):
        packed = ipaddress.ip_address(address).packed
        words = "".join(f"{int.from_bytes(packed[at : at + 4], sys.byteorder):08X}" for at in range(0, len(packed), 4))
        lines.append(f"{number:4}: {words}:{port:04X} {'0' * len(words)}:0000 {state} 0:0 00:0 0 999 0 {4242 + number}")
    return "\n".join(lines) + "\n"


def status(finding) -> Status:
    return finding.status


def test_loopback_passes_when_only_loopback_listens_and_fails_on_an_address_others_reach():
    local = machine.listeners(proc_net_tcp(("127.0.0.1", 8080, "0A"), (EVERY_ADDRESS, 22, "0A")))
    local += machine.listeners(proc_net_tcp(("::1", 8080, "0A"), ("2001:db8::5", 8080, "01")))  # 01: a connection
    public = machine.listeners(proc_net_tcp((EVERY_ADDRESS, 8080, "0A")))
    public6 = machine.listeners(proc_net_tcp(("::", 8080, "0A")))

    assert [(str(socket.address), socket.port) for socket in local] == [
        ("127.0.0.1", 8080),
        (EVERY_ADDRESS, 22),  # another service's socket, on another port
        ("::1", 8080),
    ]
    assert status(checks.loopback("127.0.0.1", 8080, local)) is Status.OK
    assert status(checks.loopback("127.0.0.1", 8080, public)) is Status.FAILURE
    assert status(checks.loopback("127.0.0.1", 8080, public6)) is Status.FAILURE
    assert status(checks.loopback(EVERY_ADDRESS, 8080, local)) is Status.FAILURE
    assert status(checks.loopback("127.0.0.1", 8080, [])) is Status.WARNING


def test_dedicated_user_passes_for_a_system_user_and_fails_for_root():
    assert status(checks.service_user(998, 998, "/usr/sbin/nologin")) is Status.OK
    assert status(checks.service_user(None, 998, None)) is Status.OK  # not running: the instance's owner serves
    assert status(checks.service_user(0, 0, "/bin/bash")) is Status.FAILURE
    assert status(checks.service_user(None, 0, "/bin/bash")) is Status.FAILURE
    assert status(checks.service_user(1000, 998, "/usr/sbin/nologin")) is Status.FAILURE  # not the instance's owner
    assert status(checks.service_user(1000, 1000, "/bin/bash")) is Status.WARNING  # a person's account


def test_owner_only_files_pass_at_0600_and_0700_and_fail_when_one_is_open_to_others(tmp_path):
    folder = tmp_path / "instance"
    (folder / "inner").mkdir(mode=0o700, parents=True)
    folder.chmod(0o700)
    for path in (folder / "secret.key", folder / "inner" / "gatehouse.db"):
        path.write_bytes(b"x")
        path.chmod(0o600)
    owner = os.geteuid()
    assert status(checks.owner_only([folder], owner)) is Status.OK

    (folder / "inner" / "gatehouse.db").chmod(0o640)
    opened_file = checks.owner_only([folder], owner)
    (folder / "inner" / "gatehouse.db").chmod(0o600)
    (folder / "inner").chmod(0o755)
    opened_folder = checks.owner_only([folder], owner)

    assert status(opened_file) is Status.FAILURE and "gatehouse.db (0640)" in opened_file.seen
    assert status(opened_folder) is Status.FAILURE and "inner (0755)" in opened_folder.seen
    assert status(checks.owner_only([folder], owner + 1)) is Status.FAILURE  # another user's files


def test_swap_passes_off_or_on_dm_crypt_and_fails_on_a_plain_partition(tmp_path):
    sys_root = tmp_path / "sys"
    for name, uuid in (("dm-1", "CRYPT-PLAIN-swap"), ("dm-2", "LVM-abc"), ("dm-0", "CRYPT-LUKS2-1234-root")):
        (sys_root / "class" / "block" / name / "dm").mkdir(parents=True)
        (sys_root / "class" / "block" / name / "dm" / "uuid").write_text(uuid + "\n")
    (sys_root / "class" / "block" / "dm-2" / "slaves" / "dm-0").mkdir(parents=True)  # LVM on LUKS
    header = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"

    def swap(*lines: str):
        return checks.swap(machine.swap_areas(header + "".join(line + "\n" for line in lines), sys_root))

    assert status(swap()) is Status.OK
    assert status(swap("/dev/dm-1 partition 1000 0 -2", "/dev/dm-2 partition 1000 0 -3")) is Status.OK
    assert status(swap("/dev/zram0 partition 1000 0 100")) is Status.OK
    assert status(swap("/dev/vda2 partition 1000 0 -2")) is Status.FAILURE
    assert status(swap("/dev/dm-1 partition 1000 0 -2", "/dev/vda2 partition 1000 0 -3")) is Status.FAILURE
    assert status(swap(f"{tmp_path / 'no-such-file'} file 1000 0 -2")) is Status.WARNING


def test_core_dumps_pass_at_limit_zero_and_fail_when_the_server_may_dump():
    def server(limit: int | None) -> ServerProcess:
        return ServerProcess(pid=1, uid=998, core_limit=limit, environment=HARDENED)

    limits = "Limit                     Soft Limit           Hard Limit           Units\n"
    assert (
        machine.core_limit(limits + "Max core file size        0                    0                    bytes\n") == 0
    )
    assert (
        machine.core_limit(limits + "Max core file size        unlimited            unlimited            bytes\n")
        is None
    )
    assert status(checks.core_dumps(server(0), "core\n")) is Status.OK
    systemd_coredump = "|/lib/systemd/systemd-coredump %P %u %g %s %t 9223372036854775808 %h"  # heeds the limit
    assert status(checks.core_dumps(server(0), systemd_coredump)) is Status.OK
    assert status(checks.core_dumps(server(None), "core\n")) is Status.FAILURE
    assert status(checks.core_dumps(server(4096), "core\n")) is Status.FAILURE
    assert status(checks.core_dumps(server(0), "|/usr/share/apport/apport -p%p -s%s")) is Status.WARNING
    assert status(checks.core_dumps(None, "core\n")) is Status.WARNING


def test_memory_hardening_passes_for_a_server_serve_restarted_and_fails_when_pythonmalloc_was_set():
    def server(environment: dict[str, str]) -> ServerProcess:
        return ServerProcess(pid=1, uid=998, core_limit=0, environment=environment)

    as_read = (
        b"PATH=/usr/bin\0PYTHONMALLOC=malloc\0GLIBC_TUNABLES=glibc.malloc.perturb=85\0glibc.malloc.tcache_count=0\0"
    )
    assert status(checks.memory_hardening(server(machine.environment(as_read)), "glibc")) is Status.OK
    assert status(checks.memory_hardening(server({"PYTHONMALLOC": "pymalloc"}), "glibc")) is Status.FAILURE
    assert status(checks.memory_hardening(server({"PATH": "/usr/bin"}), "glibc")) is Status.FAILURE
    without_tcache = {"PYTHONMALLOC": "malloc", "GLIBC_TUNABLES": "glibc.malloc.perturb=85"}
    assert status(checks.memory_hardening(server(without_tcache), "glibc")) is Status.FAILURE
    assert status(checks.memory_hardening(server(HARDENED), "")) is Status.FAILURE  # musl: no hardening at all


def test_tor_onion_service_passes_with_the_lines_tor_config_prints_and_fails_without_them():
    ours = torrc_snippet(8080, Path("/var/lib/tor/gatehouse"))
    other = "HiddenServiceDir /var/lib/tor/other\nHiddenServicePort 80 127.0.0.1:9090\n"

    assert status(checks.tor_service(other + ours, 8080)) is Status.OK
    assert status(checks.tor_service("HiddenServiceDir /x\nHiddenServicePort 8080\n", 8080)) is Status.WARNING
    assert status(checks.tor_service(other, 8080)) is Status.FAILURE
    assert status(checks.tor_service(ours.replace("127.0.0.1:", "192.0.2.7:"), 8080)) is Status.FAILURE
    assert status(checks.tor_service(None, 8080)) is Status.FAILURE
    no_proof_of_work = ours.replace("HiddenServicePoWDefensesEnabled 1", "HiddenServicePoWDefensesEnabled 0")
    assert status(checks.tor_service(no_proof_of_work, 8080)) is Status.WARNING


def test_tor_running_passes_with_a_tor_process_and_fails_without_one():
    assert status(checks.tor_running({"systemd", "tor", "python3"})) is Status.OK
    assert status(checks.tor_running({"systemd", "torsocks"})) is Status.FAILURE


def test_onion_hostname_file_passes_when_readable_and_fails_when_missing_or_not_an_address(tmp_path):
    (tmp_path / "hostname").write_text(ONION + "\n")
    (tmp_path / "garbled").write_text("not an onion\n")

    assert status(checks.onion_hostname(tmp_path / "hostname")) is Status.OK
    assert status(checks.onion_hostname(tmp_path / "missing")) is Status.FAILURE
    assert status(checks.onion_hostname(tmp_path / "garbled")) is Status.FAILURE
    assert status(checks.onion_hostname(None)) is Status.WARNING
    if os.geteuid() != 0:  # root reads any file
        (tmp_path / "hostname").chmod(0)
        assert status(checks.onion_hostname(tmp_path / "hostname")) is Status.FAILURE


def test_clock_passes_on_or_after_the_logs_latest_day_and_fails_behind_it():
    assert status(checks.clock(TODAY, TODAY)) is Status.OK
    assert status(checks.clock(TODAY, None)) is Status.OK
    assert status(checks.clock(TODAY, TODAY + datetime.timedelta(days=1))) is Status.FAILURE


def test_disk_space_passes_with_room_and_fails_without_room_for_a_purge():
    mib = 1 << 20
    assert status(checks.disk_space(20_000 * mib, 100 * mib, Path("/srv"))) is Status.OK
    assert status(checks.disk_space(500 * mib, 100 * mib, Path("/srv"))) is Status.WARNING
    assert status(checks.disk_space(150 * mib, 100 * mib, Path("/srv"))) is Status.FAILURE


def test_newest_backup_passes_when_recent_and_fails_when_missing_or_old(tmp_path):
    def backup(taken: datetime.date) -> None:
        (tmp_path / f"gatehouse-backup-forum-{taken}-01-due-none.ghb").write_bytes(b"x")

    assert status(checks.newest_backup(tmp_path, "forum", TODAY)) is Status.FAILURE
    backup(TODAY - datetime.timedelta(days=10))
    assert status(checks.newest_backup(tmp_path, "forum", TODAY)) is Status.FAILURE
    backup(TODAY - datetime.timedelta(days=3))
    assert status(checks.newest_backup(tmp_path, "forum", TODAY)) is Status.WARNING
    backup(TODAY - datetime.timedelta(days=1))
    assert status(checks.newest_backup(tmp_path, "forum", TODAY)) is Status.OK
    assert status(checks.newest_backup(tmp_path, "another-event", TODAY)) is Status.FAILURE
    assert status(checks.newest_backup(None, "forum", TODAY)) is Status.WARNING


def test_doctor_on_a_running_server_reports_every_item_exits_1_on_a_failure_and_prints_no_personal_value(
    demo_instance, tmp_path
):
    with opened(demo_instance.path) as (instance, connection):
        register_one(connection, instance, full_name="QZX7DOCTOR93", safe_contact="signal: QZX7CONTACT93")
    backups = tmp_path / "backups"
    backups.mkdir(mode=0o700)
    (tmp_path / "hostname").write_text(ONION + "\n")
    with serving(demo_instance.path, tmp_path) as server:
        port = server.url.rsplit(":", 1)[1]
        (tmp_path / "torrc").write_text(torrc_snippet(int(port), tmp_path))
        ran = subprocess.run(
            [sys.executable, "-m", "app", "doctor", "--instance", str(demo_instance.path), "--port", port]
            + ["--torrc", str(tmp_path / "torrc"), "--backup-folder", str(backups)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    reported = {line[9:32].strip(): line[:8].strip() for line in ran.stdout.splitlines()[1:-1] if line[:1] != " "}
    assert list(reported) == [
        "bound to loopback",
        "dedicated user",
        "owner-only files",
        "swap off or encrypted",
        "core dumps off",
        "memory hardening",
        "tor onion service",
        "tor running",
        "onion hostname file",
        "disk space",
        "clock",
        "newest backup",
    ], ran.stdout
    assert reported["bound to loopback"] == "ok" and reported["memory hardening"] == "ok", ran.stdout
    assert reported["tor onion service"] == "ok" and reported["onion hostname file"] == "ok", ran.stdout
    assert reported["owner-only files"] == "ok" and reported["clock"] == "ok", ran.stdout
    assert reported["newest backup"] == "FAILURE", "the folder holds no backup yet"
    assert ran.returncode == 1 and ran.stdout.rstrip().endswith("fix the failures before taking registrations.")
    for personal in ("QZX7DOCTOR93", "QZX7CONTACT93", ONION):
        assert personal not in ran.stdout + ran.stderr
