"""The onion address as a setting or a file, Onion-Location only off the onion host, redirects by path, tor-config."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from app.cli.main import cli
from app.web.application import create_app
from app.web.onion import OnionHostnameInvalid

ONION = "a" * 56 + ".onion"


def _app(demo_instance, **config):
    return create_app({"INSTANCE_DIR": demo_instance.path, "TESTING": True, **config})


def test_onion_location_names_the_same_page_on_the_onion_address(demo_instance):
    client = _app(demo_instance, ONION_HOSTNAME=ONION.upper()).test_client()
    assert client.get("/status?lang=en").headers["Onion-Location"] == f"http://{ONION}/status?lang=en"
    assert client.get("/nowhere").headers["Onion-Location"] == f"http://{ONION}/nowhere"
    assert "Onion-Location" not in client.get("/status", headers={"Host": ONION}).headers
    assert "Onion-Location" not in client.get("/", headers={"Host": f"{ONION}:80"}).headers


def test_no_onion_location_without_an_onion_address(client):
    assert "Onion-Location" not in client.get("/").headers


def test_hostname_file_is_read_once_tor_has_written_it(demo_instance, tmp_path):
    hostname_file = tmp_path / "hostname"
    client = _app(demo_instance, ONION_HOSTNAME_FILE=str(hostname_file)).test_client()
    assert "Onion-Location" not in client.get("/").headers, "nothing to offer before Tor writes the file"
    hostname_file.write_text(ONION + "\n")
    assert client.get("/").headers["Onion-Location"] == f"http://{ONION}/"


@pytest.mark.parametrize("bad", ["example.org", "abc.onion", "a" * 56 + ".onion.example.org", "1" * 56 + ".onion"])
def test_a_wrong_onion_address_stops_the_start(demo_instance, tmp_path, bad):
    with pytest.raises(OnionHostnameInvalid):
        _app(demo_instance, ONION_HOSTNAME=bad)
    hostname_file = tmp_path / "hostname"
    hostname_file.write_text(bad)
    with pytest.raises(OnionHostnameInvalid):
        _app(demo_instance, ONION_HOSTNAME_FILE=hostname_file)


@pytest.mark.parametrize("host", [ONION, "127.0.0.1:8080", "defenders.example.org"])
def test_redirects_are_paths_on_every_host(demo_instance, host):
    client = _app(demo_instance, ONION_HOSTNAME=ONION).test_client()
    for path in ("/staff", "/staff/", "/staff/grants"):
        location = client.get(path, headers={"Host": host}).headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), f"{path} -> {location}"


def test_tor_config_prints_a_service_for_the_port_with_proof_of_work_on():
    result = CliRunner().invoke(cli, ["tor-config", "--port", "8123", "--service-dir", "/srv/tor/gh"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    settings = [line for line in lines if line and not line.startswith("#")]
    assert settings == [
        "HiddenServiceDir /srv/tor/gh",
        "HiddenServicePort 80 127.0.0.1:8123",
        "HiddenServicePoWDefensesEnabled 1",
    ]
    assert any("--onion-hostname-file /srv/tor/gh/hostname" in line for line in lines)


def test_serve_refuses_a_hostname_file_that_holds_no_onion_address(demo_instance, tmp_path):
    hostname_file = tmp_path / "hostname"
    hostname_file.write_text("defenders.example.org\n")
    result = CliRunner().invoke(
        cli, ["serve", "--instance", str(demo_instance.path), "--onion-hostname-file", str(hostname_file)]
    )
    assert result.exit_code == 2 and "not a version 3 onion address" in result.output


def test_an_unreadable_hostname_file_leaves_the_site_up_without_onion_location(demo_instance, tmp_path, caplog):
    unreadable = tmp_path / "hostname"
    unreadable.mkdir()  # reading it fails even for root, like a file in a folder only Tor may read
    client = _app(demo_instance, ONION_HOSTNAME_FILE=str(unreadable)).test_client()
    for _ in range(2):
        response = client.get("/")
        assert response.status_code == 200 and "Onion-Location" not in response.headers
    assert [record.getMessage() for record in caplog.records].count(
        "the onion hostname file cannot be read: Is a directory"
    ) == 1, "said once, not on every request"
