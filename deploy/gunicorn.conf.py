"""gunicorn settings for Harbor: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Anything here can be overridden per host with GUNICORN_CMD_ARGS in /etc/harbor/env (for
example `GUNICORN_CMD_ARGS="--bind 192.0.2.11:8000"` on an app host nginx reaches over the
network), or on the command line, which wins over both.
"""

import multiprocessing

# Loopback: only nginx on the same host may reach it. Sync workers hold one request each, so
# they must sit behind a proxy that reads slow phones' requests and responses for them.
bind = "127.0.0.1:8000"
worker_class = "sync"
# Two per core: while one waits on PostgreSQL, the other uses the core.
workers = 2 * multiprocessing.cpu_count()
# A request that takes longer than this is stuck; its worker is replaced (nginx waits a little
# longer, so the visitor gets nginx's error rather than a cut connection).
timeout = 30
graceful_timeout = 30
# Replace each worker now and then, so slow growth of memory never adds up.
max_requests = 2000
max_requests_jitter = 200
# No access log: it would record addresses and full URLs with tokens. Harbor logs each request
# itself without them (forum/request_log.py); errors still go to standard error (the journal).
accesslog = None
errorlog = "-"
proc_name = "harbor"
# gunicorn 25+ opens a control socket at one fixed path in $HOME by default: two instances on
# a host would take it from each other, and the units' ProtectHome forbids it anyway. Nothing
# here uses gunicornc; systemctl reload and restart do the same over signals.
control_socket_disable = True
