"""Checks of the apetools.iperf.install role's package map and variables.

The map (roles/install/vars/main.yml) must name both iperf packages for every
OS family the role claims to support in meta/main.yml, and the expressions in
that file that choose the packages are rendered with Ansible's own templating
for iperf_version 2 and 3.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLE = Path(__file__).resolve().parents[3] / "roles" / "install"

# Galaxy platform names (meta/main.yml) -> the ansible_os_family they report.
PLATFORM_FAMILY = {
    "Debian": "Debian",
    "Ubuntu": "Debian",
    "EL": "RedHat",
    "Fedora": "RedHat",
    "Alpine": "Alpine",
    "ArchLinux": "Archlinux",
    "opensuse": "Suse",
    "SLES": "Suse",
}

FLAVOURS = ("iperf3", "iperf2")


def _load(relpath: str):
    with open(ROLE / relpath, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def package_map() -> dict:
    return _load("vars/main.yml")["iperf_install_packages_by_family"]


@pytest.fixture(scope="module")
def platforms() -> list:
    return _load("meta/main.yml")["galaxy_info"]["platforms"]


def test_map_has_both_packages_for_every_family(package_map):
    assert package_map, "the package map is empty"
    for family, packages in package_map.items():
        assert set(packages) == set(FLAVOURS), family
        for flavour in FLAVOURS:
            name = packages[flavour]
            assert isinstance(name, str) and name.strip() == name and name, (
                family,
                flavour,
            )


def test_every_claimed_platform_has_a_family_in_the_map(package_map, platforms):
    assert platforms, "meta/main.yml claims no platforms"
    for platform in platforms:
        name = platform["name"]
        assert (
            name in PLATFORM_FAMILY
        ), f"no OS family known for platform {name}; extend PLATFORM_FAMILY"
        family = PLATFORM_FAMILY[name]
        assert (
            family in package_map
        ), f"platform {name} (family {family}) has no packages in vars/main.yml"


def test_every_family_in_the_map_is_claimed(package_map, platforms):
    claimed = {PLATFORM_FAMILY.get(p["name"]) for p in platforms}
    assert set(package_map) <= claimed


@pytest.fixture(scope="module")
def package_commands() -> dict:
    return _load("vars/main.yml")["iperf_install_package_commands"]


def test_every_other_family_has_package_commands(package_map, package_commands):
    # Debian uses the apt module; every other family the commands.
    assert set(package_commands) == set(package_map) - {"Debian"}
    for family, commands in package_commands.items():
        assert set(commands) == {"query", "install"}, family
        for argv in commands.values():
            assert argv and all(isinstance(a, str) and a for a in argv), family


def test_package_commands(package_commands):
    # Each query answers for one package: exit status 0 installed, 1 not.
    assert package_commands["RedHat"] == {
        "query": ["rpm", "--query", "--whatprovides"],
        "install": ["dnf", "--assumeyes", "install"],
    }
    assert package_commands["Suse"]["query"] == ["rpm", "--query", "--whatprovides"]
    assert package_commands["Suse"]["install"][0] == "zypper"
    assert "--non-interactive" in package_commands["Suse"]["install"]
    assert package_commands["Alpine"]["query"] == ["apk", "info", "--installed"]
    assert package_commands["Alpine"]["install"][:2] == ["apk", "add"]
    assert package_commands["Archlinux"]["query"] == ["pacman", "--query"]
    assert {"--sync", "--needed", "--noconfirm"} <= set(
        package_commands["Archlinux"]["install"]
    )


def test_debian_package_names(package_map):
    assert package_map["Debian"] == {"iperf3": "iperf3", "iperf2": "iperf"}


def test_argument_specs_document_every_default():
    defaults = _load("defaults/main.yml")
    options = _load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert set(defaults) == set(options)
    for name, value in defaults.items():
        spec = options[name]
        assert spec.get("default") == value, name
        assert spec.get("description"), name
        assert spec.get("type") in {"int", "bool", "str", "list", "dict"}, name
        if "choices" in spec:
            assert value in spec["choices"], name


def test_iperf_version_choices():
    options = _load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert options["iperf_version"]["choices"] == [2, 3]
    assert options["iperf_version"]["default"] == 3


# --- the expressions in vars/main.yml, rendered the way Ansible renders them ---


def _render(os_family: str, name: str = "iperf_install_packages", **overrides):
    """Render a role variable for a host, with role defaults and overrides."""
    pytest.importorskip("ansible")
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    loader = DataLoader()
    try:  # ansible-core >= 2.19 only templates trusted strings
        role_vars = loader.load_from_file(
            str(ROLE / "vars" / "main.yml"), trusted_as_template=True
        )
        defaults = loader.load_from_file(
            str(ROLE / "defaults" / "main.yml"), trusted_as_template=True
        )
    except TypeError:
        role_vars = loader.load_from_file(str(ROLE / "vars" / "main.yml"))
        defaults = loader.load_from_file(str(ROLE / "defaults" / "main.yml"))
    variables = {
        **defaults,
        **overrides,
        **role_vars,
        "ansible_facts": {"os_family": os_family},
    }
    templar = Templar(loader=loader, variables=variables)
    value = templar.template(role_vars[name])
    return list(value) if name == "iperf_install_packages" else value


FAMILIES = sorted({"Debian", "RedHat", "Alpine", "Archlinux", "Suse"})


@pytest.mark.parametrize("family", FAMILIES)
def test_default_installs_only_iperf3(family, package_map):
    assert _render(family) == [package_map[family]["iperf3"]]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("version", [3, "3"])
def test_version_3_installs_only_iperf3(family, version, package_map):
    assert _render(family, iperf_version=version) == [package_map[family]["iperf3"]]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("version", [2, "2"])  # "2" is what -e iperf_version=2 gives
def test_version_2_installs_both(family, version, package_map):
    assert _render(family, iperf_version=version) == [
        package_map[family]["iperf3"],
        package_map[family]["iperf2"],
    ]


@pytest.mark.parametrize("force", [True, "true", "yes"])
def test_force_iperf2_with_version_3(force):
    assert _render("Debian", iperf_version=3, iperf_install_iperf2=force) == [
        "iperf3",
        "iperf",
    ]


@pytest.mark.parametrize("force", [False, "false", "no"])
def test_no_force_iperf2_with_version_3(force):
    assert _render("Debian", iperf_version=3, iperf_install_iperf2=force) == ["iperf3"]


# --- the firewall's port ranges ---


@pytest.mark.parametrize(
    "port, count, firewalld, ufw",
    [
        (5201, 100, "5201-5300", "5201:5300"),
        ("5201", "100", "5201-5300", "5201:5300"),  # as -e gives them
        (6000, 10, "6000-6009", "6000:6009"),
        (5201, 1, "5201", "5201"),  # one port: no range
    ],
)
def test_firewall_port_ranges(port, count, firewalld, ufw):
    values = {"iperf_port": port, "iperf_port_count": count}
    assert _render("Debian", "iperf_install_firewalld_ports", **values) == firewalld
    assert _render("Debian", "iperf_install_ufw_ports", **values) == ufw


def test_default_port_range_is_the_sessions():
    defaults = _load("defaults/main.yml")
    assert (defaults["iperf_port"], defaults["iperf_port_count"]) == (5201, 100)
    assert defaults["iperf_manage_firewall"] is False
    assert defaults["iperf_firewall_required"] is False


def test_firewalld_rules_cover_tcp_udp_runtime_and_permanent():
    rules = _load("vars/main.yml")["iperf_install_firewalld_rules"]
    assert sorted((r["proto"], tuple(r["options"])) for r in rules) == [
        ("tcp", ()),
        ("tcp", ("--permanent",)),
        ("udp", ()),
        ("udp", ("--permanent",)),
    ]
