"""The deployment examples in deploy/ say what Harbor reads, and stay the files we wrote.

An operator copies harbor.env.example to /etc/harbor/env: a name in it that Harbor does
not read would be a setting that silently does nothing. The nginx example once grew to
1.78 MB when a merge inserted its static block before every character; these checks
catch that without nginx. .ci/check-deploy.sh runs ``nginx -t`` and ``systemd-analyze
verify`` on the real files.
"""

import re
from pathlib import Path

import pytest

from forum import config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
# Read by the programs around Harbor, not by Harbor: the example mentions them.
NOT_HARBORS = {"GUNICORN_CMD_ARGS"}
# A KEY=value line, as systemd's EnvironmentFile= reads it (quotes are stripped).
ENV_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
# A row of the README's configuration table: | `NAME` | default | what it does |
README_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \|", re.MULTILINE)


def example_environment() -> dict[str, str]:
    settings = {}
    for line in (DEPLOY / "harbor.env.example").read_text().splitlines():
        match = ENV_LINE.match(line.strip())
        if match:
            name, value = match.groups()
            settings[name] = value.strip().removeprefix('"').removesuffix('"')
    return settings


def readme_configuration_names() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return set(README_ROW.findall(section))


def harbor_reads(name: str, value: str = "1") -> bool:
    """Whether forum/config.py takes ``name`` from the environment (asked, not listed)."""
    environ = {name: value}
    return bool(
        config.settings_from_environment(environ) or config.instance_path_from_environment(environ)
    )


def test_the_example_environment_sets_only_what_harbor_reads():
    example = example_environment()
    assert {"DATABASE_URL", "SECRET_KEY", "HARBOR_PROXY_COUNT"} <= set(example)
    # Each with its example value, so a value Harbor could not take fails here too.
    unread = [name for name, value in example.items()
              if not harbor_reads(name, value) and name not in NOT_HARBORS]  # fmt: skip
    assert unread == []


def test_every_variable_in_the_readme_is_one_harbor_reads():
    documented = readme_configuration_names()
    assert len(documented) > 10, "the README's Configuration table was not found"
    assert sorted(name for name in documented if not harbor_reads(name)) == []


def test_every_variable_harbor_reads_is_in_the_readme():
    assert sorted(set(config.ENVIRONMENT) - readme_configuration_names()) == []


# The nginx example: small, each location once, and the body limit Harbor's own.

NGINX = DEPLOY / "nginx-harbor.conf"


def test_the_nginx_example_is_a_config_file_not_a_merge_accident():
    assert NGINX.stat().st_size < 20_000
    text = NGINX.read_text()
    assert text.count("location /static/") == 1
    assert text.count("location / {") == 2  # the HTTP-to-HTTPS redirect and the proxy
    assert text.count("{") == text.count("}")


@pytest.mark.parametrize("unit", sorted(DEPLOY.glob("*.service")), ids=lambda path: path.name)
def test_each_systemd_unit_reads_the_example_environment(unit):
    assert "EnvironmentFile=/etc/harbor/env" in unit.read_text()


def test_nginx_refuses_bodies_larger_than_harbor_accepts():
    limit_kib = config.MAX_REQUEST_BYTES // 1024
    assert f"client_max_body_size {limit_kib}k;" in NGINX.read_text()
