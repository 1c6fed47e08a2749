"""Settings for `bench_load.py` only: chibo's own settings with a URLconf that adds a trivial
view (the throughput ceiling, served by the same gunicorn). Never used by the product."""

from chibo.settings import *  # noqa: F403

ROOT_URLCONF = "load_urls"
