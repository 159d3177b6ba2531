#!/usr/bin/env bash
# Prove the deployment examples in deploy/ with the tools that will read them:
#   - nginx-harbor.conf passes `nginx -t` (Debian 12's nginx, 1.22, as the file is written for);
#   - harbor-web.service and harbor-mail.service pass `systemd-analyze verify` without a word;
#   - tests/test_deploy_files.py: every name in harbor.env.example is one forum/config.py
#     reads, and the nginx file is small with one /static/ block (`make test` runs it too).
# Nothing outside a scratch folder is touched, apart from installing Debian's nginx (and
# systemd) when missing and run as root. Usage: bash .ci/check-deploy.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

log() { echo "check-deploy: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

install_if_missing() { # command, Debian package
  command -v "$1" >/dev/null && return
  [[ $(id -u) -eq 0 ]] || fail "$1 is missing; install Debian's $2 (or run this as root)"
  log "installing $2"
  apt-get update -qq >&2
  # No recommends: nginx alone, not a web server set up and started on port 80.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >&2
}

# Runs a checker; fails on a non-zero status, and also on any output matching the
# complaint pattern: nginx's warnings and systemd's "ignoring" exit 0, yet each means a
# line of the file does not do what it says.
run_quietly() { # label, grep pattern for what counts as a complaint, command...
  local label=$1 complaint=$2 output status=0
  shift 2
  output=$("$@" 2>&1) || status=$?
  if [[ $status -ne 0 ]] || grep -Eq "$complaint" <<<"$output"; then
    echo "$output" >&2
    fail "$label: see its words above (exit status $status)"
  fi
  log "$label: ok"
}

check_nginx() {
  install_if_missing nginx nginx
  install_if_missing openssl openssl
  local conf=$SCRATCH/nginx
  mkdir -p "$conf/tls" "$conf/temp"
  # A throwaway certificate stands in for Let's Encrypt's: nginx -t loads the files it names.
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=forum.example.org \
    -keyout "$conf/tls/privkey.pem" -out "$conf/tls/fullchain.pem" 2>/dev/null
  # Only the paths of files nginx opens while testing move into the scratch folder; every
  # directive stays as written. The app hosts are 192.0.2.x addresses (RFC 5737's range for
  # documentation), not names: nginx -t resolves upstream names, which would fail here, and
  # an address the operator must replace is the honest example. A new file path in the
  # config (ssl_dhparam, a log) makes nginx -t fail below until it is handled here too.
  sed -E \
    -e "s#^([[:space:]]*ssl_certificate)[[:space:]]+[^;]+;#\\1 $conf/tls/fullchain.pem;#" \
    -e "s#^([[:space:]]*ssl_certificate_key)[[:space:]]+[^;]+;#\\1 $conf/tls/privkey.pem;#" \
    -e "s#^([[:space:]]*(error_log|access_log))[[:space:]]+/[^ ;]+#\\1 $conf/\\2.log#" \
    deploy/nginx-harbor.conf >"$conf/harbor.conf"
  # Debian's /etc/nginx/nginx.conf includes sites-enabled/ inside http {}; so does this.
  cat >"$conf/nginx.conf" <<EOF
pid $conf/nginx.pid;
error_log stderr;
events {}
http {
    client_body_temp_path $conf/temp/body;
    proxy_temp_path $conf/temp/proxy;
    fastcgi_temp_path $conf/temp/fastcgi;
    uwsgi_temp_path $conf/temp/uwsgi;
    scgi_temp_path $conf/temp/scgi;
    include $conf/harbor.conf;
}
EOF
  # -e stderr: what nginx says while reading the files reaches run_quietly.
  run_quietly "nginx -t deploy/nginx-harbor.conf" '\[(warn|emerg|alert|crit)\]' \
    nginx -t -p "$conf" -e stderr -c "$conf/nginx.conf"
}

check_systemd_units() {
  install_if_missing systemd-analyze systemd
  local units=$SCRATCH/units
  mkdir -p "$units"
  # The units run Harbor from /srv/harbor; here the checkout stands in for it, so verify
  # finds the very gunicorn and flask that `make` installed in .venv (it refuses a unit
  # whose ExecStart is missing). It needs no running systemd: verify loads the units itself.
  [[ -x .venv/bin/gunicorn && -x .venv/bin/flask ]] || fail ".venv has no gunicorn or flask: run make first"
  for unit in deploy/*.service; do
    sed "s|/srv/harbor|$PWD|g" "$unit" >"$units/$(basename "$unit")"
  done
  # Unknown keys and values it cannot parse are only printed ("ignoring"), so any output fails.
  run_quietly "systemd-analyze verify deploy/*.service" '.' \
    systemd-analyze verify --man=no "$units"/*.service
}

check_environment_names() {
  .venv/bin/pytest -q -p no:cacheprovider tests/test_deploy_files.py >&2 ||
    fail "tests/test_deploy_files.py: deploy/ names what forum/config.py does not read"
  log "deploy/harbor.env.example names only what forum/config.py reads: ok"
}

check_nginx
check_systemd_units
check_environment_names
log "deployment files ok"
