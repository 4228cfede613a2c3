"""Settings for benchmark runs: the real configuration as production runs it (DEBUG off),
minus HTTPS redirects and the MFA gate, which a test client cannot pass, and with static file
names unhashed so pages render without `collectstatic`."""

import os

os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "False")
os.environ.setdefault("ENFORCE_STAFF_MFA", "False")
# The load test assigns coaches through the services, which email; nobody reads them here.
os.environ.setdefault("EMAIL_URL", "dummymail://")

from config.settings import *  # noqa: F403
from config.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "core.staticstorage.StaticFiles"},
}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# WhiteNoise warns once that STATIC_ROOT does not exist; the benchmark never serves files.
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="No directory at")
