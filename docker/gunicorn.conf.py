"""gunicorn settings for a Drillboard app worker: ``gunicorn -c docker/gunicorn.conf.py app:app``.

One gevent worker per gunicorn process: Socket.IO's long-polling fallback keeps its session in
the process that opened it, so scale out with more gunicorn processes behind a proxy that is
sticky by client address (docker/nginx.conf, docker/cluster.py), not with ``-w``. Every
process of a deployment shares PostgreSQL, Redis and the secret key (``DRILLBOARD_SECRET_KEY``);
each host may have its own ``DRILLBOARD_INSTANCE`` (stored files are in the database).
"""
import os

worker_class = "gevent"
workers = 1
# -b on the command line wins over this.
bind = os.environ.get("DRILLBOARD_BIND", "127.0.0.1:5000")
# Live observers hold a connection each; gunicorn's default (1,000) would turn the rest away.
worker_connections = int(os.environ.get("DRILLBOARD_WORKER_CONNECTIONS", "10000"))
# A request that holds the worker this long is stuck: restart it (in-flight work rolls back).
timeout = 30
# On SIGTERM, finish what is in flight (websockets are closed; clients reconnect elsewhere).
graceful_timeout = 10
# Also the deadline for a request's line and headers: the gevent worker reads each request under
# a keepalive-long timeout, so an idle or header-trickling client is dropped after 5 s (never
# set it to 0, which turns that off). Per-address limits are nginx's and the app's (/live).
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = os.environ.get("DRILLBOARD_LOG_LEVEL", "warning")


def post_worker_init(worker):
    """Start the clock, the event pump and the board builder now, not on the first request:
    scheduled releases, the freeze and the end are announced even if nobody is looking."""
    worker.wsgi.extensions["drillboard"].live.start()
