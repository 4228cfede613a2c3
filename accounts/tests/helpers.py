"""Small helpers shared by the accounts tests."""

from __future__ import annotations

import re
import time

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value

LINK = re.compile(r"https?://[^\s]+")


def link_in(message, path_part: str) -> str:
    """The first link in an email whose URL contains `path_part`."""
    for url in LINK.findall(message.body):
        if path_part in url:
            return url
    raise AssertionError(f"no {path_part} link in: {message.body}")


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def turn_on_mfa(user) -> tuple[str, list[str]]:
    """Give `user` an authenticator app and recovery codes; return the secret and the codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user).generate_codes()
    return secret, codes
