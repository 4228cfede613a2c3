"""panva's `oidc-provider` (OpenID Certified, from npm) as a real OpenID Connect provider for
the tests, on `localhost`. `npm install` puts it in a cache folder the first time (CI does it
before the tests, see .ci/run); `oidc-provider.mjs` beside this file configures and starts it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.sso.servers import started_on_a_free_port, stop, wait_until_up

HERE = Path(__file__).resolve().parent
CACHE = Path(
    os.environ.get(
        "CONTINUUM_OIDC_PROVIDER_DIR", Path.home() / ".cache" / "continuum-oidc-provider"
    )
)

PEOPLE = {
    "cora": {
        "email": "cora@riverside.org",
        "email_verified": True,
        "name": "Cora Lindqvist",
        "given_name": "Cora",
        "family_name": "Lindqvist",
    },
    "dora": {
        "email": "dora@riverside.org",
        "email_verified": True,
        "name": "Dora Lindqvist",
        "given_name": "Dora",
        "family_name": "Lindqvist",
    },
}


def install() -> Path:
    """The folder with oidc-provider installed (npm install on first use)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "oidc-provider.mjs"):
        shutil.copyfile(HERE / name, CACHE / name)
    if not (CACHE / "node_modules" / "oidc-provider" / "package.json").exists():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--omit=dev"],
            cwd=CACHE,
            check=True,
            capture_output=True,
        )
    return CACHE


def missing() -> str | None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "needs Node.js and npm (apt-get install nodejs npm)"
    return None


@dataclass
class OidcProvider:
    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def issuer(self) -> str:
        return f"http://localhost:{self.port}"

    def start(
        self,
        *,
        clients: list[dict[str, object]],
        publish_other_key: bool = False,
        login_amr: list[str] | dict[str, list[str]] | None = None,
        login_acr: str | None = None,
    ) -> None:
        home = install()
        config = self.folder / f"oidc-{self.port}.json"
        config.write_text(
            json.dumps(
                {
                    "port": self.port,
                    "clients": clients,
                    "accounts": PEOPLE,
                    "publishOtherKey": publish_other_key,
                    "loginAmr": login_amr,
                    "loginAcr": login_acr,
                }
            )
        )
        log = self.folder / f"oidc-{self.port}.log"
        self.process = subprocess.Popen(
            ["node", str(home / "oidc-provider.mjs"), str(config)],
            cwd=home,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_until_up(f"{self.issuer}/.well-known/openid-configuration", self.process, log)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


def start_oidc_provider(
    folder: Path,
    *,
    clients: list[dict[str, object]],
    publish_other_key: bool = False,
    login_amr: list[str] | dict[str, list[str]] | None = None,
    login_acr: str | None = None,
) -> OidcProvider:
    """Start oidc-provider; with `login_amr` (for everyone, or by account ID) and `login_acr`,
    its ID tokens say the sign-in used those methods / that context class."""
    return started_on_a_free_port(
        lambda port: OidcProvider(port=port, folder=folder),
        lambda provider: provider.start(
            clients=clients,
            publish_other_key=publish_other_key,
            login_amr=login_amr,
            login_acr=login_acr,
        ),
    )
