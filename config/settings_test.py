"""Test settings: the real configuration with fast password hashing and captured email."""

from config.settings import *  # noqa: F403
from config.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "core.staticstorage.StaticFiles"},
}
WHITENOISE_AUTOREFRESH = True
