"""The client's address, for the login lock-out (django-axes).

Behind nginx every request comes from the proxy's address; the client's is in X-Real-IP,
which deploy/nginx/chibo.conf sets from the connection. The header is believed only from the
proxies listed in CHIBO_TRUSTED_PROXIES: anyone else could write any address into it.
"""

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    if remote in settings.CHIBO_TRUSTED_PROXIES:
        forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
        if forwarded:
            return forwarded
    return remote
