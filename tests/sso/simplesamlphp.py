"""SimpleSAMLphp as a real SAML 2.0 identity provider for the tests, on `localhost`.

Debian's `simplesamlphp` package, served by PHP's built-in web server from its `www/`, with
configuration written into a temporary folder (`SIMPLESAMLPHP_CONFIG_DIR`): the IdP's key pair,
a few people (exampleauth:UserPass) and the service providers it answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.sso.keys import self_signed
from tests.sso.servers import started_on_a_free_port, stop, wait_until_up

SIMPLESAMLPHP_DIR = Path(os.environ.get("SIMPLESAMLPHP_DIR", "/usr/share/simplesamlphp"))
MFA_CONTEXT = "https://refeds.org/profile/mfa"

PEOPLE = {
    "ada": {
        "password": "ada-secret",
        "mail": "ada@northbridge.edu",
        "givenName": "Ada",
        "sn": "Osei",
        "eduPersonPrincipalName": "ada@northbridge.edu",
    },
    "ben": {
        "password": "ben-secret",
        "mail": "ben@northbridge.edu",
        "givenName": "Ben",
        "sn": "Amari",
        "eduPersonPrincipalName": "ben@northbridge.edu",
    },
    # An IdP asserting an address in a domain another institution owns.
    "mallory": {
        "password": "mallory-secret",
        "mail": "chief@riverside.org",
        "givenName": "Mal",
        "sn": "Lory",
        "eduPersonPrincipalName": "mallory@northbridge.edu",
    },
}


def missing() -> str | None:
    """Why SimpleSAMLphp cannot run here, or None."""
    if shutil.which("php") is None:
        return "needs php: apt-get install --no-install-recommends php-cli php-xml php-mbstring"
    if not (SIMPLESAMLPHP_DIR / "www" / "saml2" / "idp" / "SSOService.php").exists():
        return "needs SimpleSAMLphp: apt-get install --no-install-recommends simplesamlphp"
    return None


def php(value: object) -> str:
    """A PHP literal for a JSON-like value."""
    if isinstance(value, dict):
        items = ", ".join(f"{php(k)} => {php(v)}" for k, v in value.items())
        return f"[{items}]"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(php(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value)).replace("$", "\\$")


@dataclass
class SimpleSAMLphp:
    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None
    service_providers: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://localhost:{self.port}/"

    @property
    def metadata_url(self) -> str:
        return f"{self.base}saml2/idp/metadata.php"

    @property
    def entity_id(self) -> str:
        return self.metadata_url

    def idp_initiated_url(self, sp_entity_id: str, relay_state: str = "") -> str:
        from urllib.parse import urlencode

        query = {"spentityid": sp_entity_id}
        if relay_state:
            query["RelayState"] = relay_state
        return f"{self.base}saml2/idp/SSOService.php?{urlencode(query)}"

    def add_service_provider(
        self,
        *,
        entity_id: str,
        acs: str,
        sls: str,
        certificate: str,
        encrypt: bool = True,
        lifetime: int | None = None,
        mfa: bool = False,
    ) -> None:
        """Register a service provider (rewrites saml20-sp-remote.php; read per request)."""
        entry: dict[str, object] = {
            "AssertionConsumerService": acs,
            "SingleLogoutService": sls,
            "certData": "".join(
                line for line in certificate.strip().splitlines() if "-----" not in line
            ),
            "assertion.encryption": encrypt,
            "sign.logout": True,
            "validate.authnrequest": True,
            "validate.logout": True,
            "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
        }
        if lifetime is not None:
            entry["assertion.lifetime"] = lifetime
        if mfa:
            entry["authproc"] = {
                "90": {"class": "saml:AuthnContextClassRef", "AuthnContextClassRef": MFA_CONTEXT}
            }
        self.service_providers[entity_id] = entry
        lines = ["<?php"]
        for key, value in self.service_providers.items():
            lines.append(f"$metadata[{php(key)}] = {php(value)};")
        (self.folder / "metadata" / "saml20-sp-remote.php").write_text("\n".join(lines) + "\n")

    def write_config(self) -> None:
        cert, key = self_signed("simplesamlphp-test-idp")
        (self.folder / "cert").mkdir(parents=True, exist_ok=True)
        (self.folder / "metadata").mkdir(exist_ok=True)
        for name in ("data", "tmp", "log", "sessions"):
            (self.folder / name).mkdir(exist_ok=True)
        (self.folder / "cert" / "idp.crt").write_text(cert)
        (self.folder / "cert" / "idp.key").write_text(key)
        overrides = {
            "baseurlpath": self.base,
            "certdir": f"{self.folder}/cert/",
            "loggingdir": f"{self.folder}/log/",
            "datadir": f"{self.folder}/data/",
            "tempdir": f"{self.folder}/tmp",
            "metadatadir": f"{self.folder}/metadata/",
            "secretsalt": "continuum-test-salt-not-secret",
            "auth.adminpassword": "continuum-test-admin",
            "technicalcontact_email": "it@northbridge.edu",
            "enable.saml20-idp": True,
            "admin.checkforupdates": False,
            "logging.handler": "errorlog",
            "session.cookie.secure": False,
            "session.cookie.samesite": "Lax",
            "language.cookie.secure": False,
            "session.phpsession.savepath": f"{self.folder}/sessions",
            "store.type": "phpsession",
            "module.enable": {"exampleauth": True, "core": True, "saml": True},
        }
        base_config = SIMPLESAMLPHP_DIR / "config" / "config.php"
        (self.folder / "config.php").write_text(
            "<?php\n"
            f"require {php(str(base_config))};\n"
            f"$config = array_merge($config, {php(overrides)});\n"
        )
        users = {
            f"{login}:{person['password']}": {
                name: [value] for name, value in person.items() if name != "password"
            }
            for login, person in PEOPLE.items()
        }
        (self.folder / "authsources.php").write_text(
            "<?php\n$config = "
            + php(
                {
                    "admin": ["core:AdminPassword"],
                    "people": {"0": "exampleauth:UserPass", **users},
                }
            )
            + ";\n"
        )
        idp = {
            "host": "__DEFAULT__",
            "privatekey": "idp.key",
            "certificate": "idp.crt",
            "auth": "people",
            "saml20.sign.assertion": True,
            "saml20.sign.response": True,
            "attributes.NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
            # Logout by top-level redirects: a framed logout page would not carry our
            # SameSite=Lax session cookie (and our frame-ancestors 'none' refuses framing).
            "logouttype": "traditional",
        }
        (self.folder / "metadata" / "saml20-idp-hosted.php").write_text(
            f"<?php\n$metadata['__DYNAMIC:1__'] = {php(idp)};\n"
        )
        (self.folder / "metadata" / "saml20-sp-remote.php").write_text("<?php\n")

    def start(self) -> None:
        self.write_config()
        log = self.folder / "server.log"
        env = {**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(self.folder)}
        # No opcache: PHP's built-in server caches compiled files (opcache applies to the
        # `cli-server` SAPI even when opcache.enable_cli is off) and looks at a file's mtime,
        # in whole seconds, at most every opcache.revalidate_freq (2) seconds. Each test
        # registers its service provider with a new certificate by rewriting
        # saml20-sp-remote.php; rewritten within that window, the old compiled file stayed in
        # use and the next signed AuthnRequest failed with "Unable to validate signature on
        # query string" (it was checked against the previous test's certificate).
        self.process = subprocess.Popen(
            [
                "php",
                "-d",
                "opcache.enable=0",
                "-S",
                f"localhost:{self.port}",
                "-t",
                str(SIMPLESAMLPHP_DIR / "www"),
            ],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_until_up(self.metadata_url, self.process, log)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


def start_simplesamlphp(folder: Path) -> SimpleSAMLphp:
    return started_on_a_free_port(
        lambda port: SimpleSAMLphp(port=port, folder=folder), SimpleSAMLphp.start
    )
