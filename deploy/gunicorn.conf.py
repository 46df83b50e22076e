"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py tracker.wsgi`.

Every value can be overridden from the environment (GUNICORN_*), so one file serves a 2-core
machine and a larger one. Sync workers: each request is a few short SQL statements, and the
database, not Python, is what a worker waits on; more processes give more concurrency."""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# 2 × cores + 1 is gunicorn's rule of thumb for sync workers; each holds one PostgreSQL connection
# (CONN_MAX_AGE), so workers × web machines must stay under the server's max_connections.
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
worker_class = "sync"
# The slowest page (the Excel ledger of a whole province) takes a few seconds; 30 s is far past it
# and still frees a worker stuck on a dead client or a lock.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Behind a proxy that keeps connections open to us (nginx upstream keepalive).
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak in a library never grows without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)
# Load Django once in the master; workers fork with the code already imported (faster start, less
# memory). Database connections are opened lazily in each worker, never shared across the fork.
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # empty: no access log
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Proxies allowed to set X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER in settings).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
