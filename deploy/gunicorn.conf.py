"""Gunicorn settings for chibo behind nginx (README, "Triển khai").

deploy/install.sh copies this file to /etc/chibo/gunicorn.conf.py; chibo-web.service starts
    gunicorn --config /etc/chibo/gunicorn.conf.py chibo.wsgi:application
Sizing can be changed without editing the file, in /etc/chibo/chibo.env:
    WEB_CONCURRENCY=5        number of worker processes
    CHIBO_WEB_THREADS=4      threads per worker process
    CHIBO_WEB_TIMEOUT=120    seconds before a stuck request's worker is restarted
    CHIBO_WEB_BIND=127.0.0.1:8001
"""

import os

# nginx on the same machine proxies to this address (deploy/nginx/chibo.conf, "upstream chibo").
# Loopback only: nothing but nginx should reach gunicorn.
bind = [os.environ.get("CHIBO_WEB_BIND", "127.0.0.1:8001")]
backlog = 256

# Threads: a request mostly waits on PostgreSQL, so a few threads per process serve more users
# with less memory than more processes. Each thread may hold one database connection
# (CHIBO_DB_CONN_MAX_AGE), so workers x threads + the worker + backups must stay well under
# PostgreSQL's max_connections (100 by default).
_cpus = os.cpu_count() or 1
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * _cpus + 1, 9)))
worker_class = "gthread"
threads = int(os.environ.get("CHIBO_WEB_THREADS", "4"))

# Exports (Word, PDF, Excel of a whole province) and 20 MB imports can take a while; nginx waits
# as long (proxy_read_timeout in deploy/nginx/chibo.conf).
timeout = int(os.environ.get("CHIBO_WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5  # nginx keeps connections to gunicorn open ("keepalive" in the upstream)

# Recycle workers now and then so a slow leak never grows without bound. The jitter is wide
# so that workers under an even load do not all restart at the same moment (the load benchmark
# saw p99 jump to 4-7 s when 2000 +/- 200 restarted all five together).
max_requests = 5000
max_requests_jitter = 2500

# Worker heartbeats on a RAM disk, not on /tmp (systemd gives the service a private /tmp).
worker_tmp_dir = "/dev/shm"

# The header nginx sets from the client's connection ("X-Forwarded-Proto $scheme") is trusted
# only from nginx on loopback. Django reads the same header (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = "127.0.0.1,::1"
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# Logs go to standard output and error, which systemd sends to the journal:
#     journalctl -u chibo-web
# The access log line: client address (set by nginx), request, status, bytes, time in ms,
# referrer and user agent.
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%({x-real-ip}i)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'

proc_name = "chibo-web"
# gunicorn's runtime control socket (gunicornc) is not needed: systemctl reload (HUP) restarts
# the workers gracefully, systemctl restart everything.
control_socket_disable = True
