"""The deployment examples in deploy/ stay the files we wrote.

The nginx example once grew to 1.78 MB when a merge inserted its static block before
every character; these checks catch that without nginx.
"""

from pathlib import Path

from forum import config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"

# The nginx example: small, each location once, and the body limit Harbor's own.

NGINX = DEPLOY / "nginx-harbor.conf"


def test_the_nginx_example_is_a_config_file_not_a_merge_accident():
    assert NGINX.stat().st_size < 20_000
    text = NGINX.read_text()
    assert text.count("location /static/") == 1
    assert text.count("location / {") == 2  # the HTTP-to-HTTPS redirect and the proxy
    assert text.count("{") == text.count("}")


def test_nginx_refuses_bodies_larger_than_harbor_accepts():
    limit_kib = config.MAX_REQUEST_BYTES // 1024
    assert f"client_max_body_size {limit_kib}k;" in NGINX.read_text()
