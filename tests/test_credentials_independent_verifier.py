"""Done-when check for verifiable credentials: Digital Bazaar's verifier (`@digitalbazaar/vc`
with the `eddsa-rdfc-2022` cryptosuite and the Bitstring Status List checker), run under node,
verifies a credential Continuum issued (before and after a key rotation; for an entrustment
decision and for a graduation-level milestone achievement) — resolving the issuer's did:web and status list from
the app on loopback, and the JSON-LD contexts from the vendored files — then rejects it after
one character of its subject changes, and again after it is revoked.

The packages come from the npm registry through `bin/credentials-verifier-install` (CI runs
it); without them, or without node, the test is skipped locally and fails in CI."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from credentials.models import Credential
from credentials.services import credential_revoke, issuer_key_rotate
from credentials.tests.factories import issued, issuer_key, milestones, reviewed

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "credentials_verifier" / "verify.mjs"
CONTEXTS = ROOT / "credentials" / "contexts"
MODULES = Path(os.environ.get("CREDENTIALS_VERIFIER_DIR", ROOT / ".cache" / "credentials-verifier"))
ISSUER_HOST = "credentials.continuum.test"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def verifier(tmp_path: Path) -> Path:
    missing = []
    if shutil.which("node") is None:
        missing.append("node")
    if not (MODULES / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        missing.append(f"npm packages in {MODULES} (run bin/credentials-verifier-install)")
    if missing:
        reason = "independent credential verifier unavailable: " + ", ".join(missing)
        if os.environ.get("CONTINUUM_REQUIRE_SERVICES") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    # ESM resolves packages from the script's own folder: run a copy beside node_modules.
    script = MODULES / "verify.mjs"
    shutil.copyfile(SCRIPT, script)
    return script


def run_verifier(script: Path, document: dict[str, Any], live_url: str, tmp: Path) -> Any:
    path = tmp / "credential.json"
    path.write_text(json.dumps(document))
    completed = subprocess.run(
        [
            "node",
            str(script),
            str(path),
            "--contexts",
            str(CONTEXTS),
            "--map",
            f"https://{ISSUER_HOST}={live_url}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.stdout, completed.stderr
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert (completed.returncode == 0) == outcome["verified"], completed.stderr
    return outcome


def test_digital_bazaar_verifies_our_credential_and_rejects_tampered_and_revoked(
    verifier, live_server, program, learner, director, tmp_path, monkeypatch
):
    monkeypatch.setattr(settings, "CREDENTIALS_HOST", ISSUER_HOST)
    credential = issued(program=program, learner=learner, by=director)
    document = credential.document
    assert document["issuer"]["id"].startswith(f"did:web:{ISSUER_HOST}:")

    good = run_verifier(verifier, document, live_server.url, tmp_path)
    assert good == {"verified": True, "revoked": False, "errors": []}

    # After a key rotation the credential still verifies (the old key stays published) and
    # the status list, now signed with the new key, verifies too.
    issuer_key_rotate(institution=program.institution)
    rotated = run_verifier(verifier, document, live_server.url, tmp_path)
    assert rotated == {"verified": True, "revoked": False, "errors": []}

    tampered = copy.deepcopy(document)
    name = tampered["credentialSubject"]["achievement"]["name"]
    tampered["credentialSubject"]["achievement"]["name"] = name.replace("Entrusted", "Entrusteb")
    assert tampered != document
    bad = run_verifier(verifier, tampered, live_server.url, tmp_path)
    assert bad["verified"] is False
    assert bad["revoked"] is not True  # rejected for the signature, not the status
    assert "Invalid signature." in bad["errors"]

    credential_revoke(credential=credential, reason="Decision withdrawn by the committee.")
    revoked = run_verifier(verifier, document, live_server.url, tmp_path)
    assert revoked["verified"] is False, revoked
    assert revoked["revoked"] is True
    assert "credential status: revoked" in revoked["errors"]


def test_the_verifier_refuses_any_fetch_outside_the_app(
    verifier, live_server, program, learner, director, tmp_path, monkeypatch
):
    monkeypatch.setattr(settings, "CREDENTIALS_HOST", "issuer.elsewhere.test")
    credential = issued(program=program, learner=learner, by=director)
    outcome = run_verifier(verifier, credential.document, live_server.url, tmp_path)
    assert outcome["verified"] is False
    assert any("refused network fetch" in error for error in outcome["errors"])


def test_digital_bazaar_verifies_a_milestone_credential_and_rejects_tampered_and_revoked(
    verifier, live_server, program, learner, director, tmp_path, monkeypatch
):
    """The same independent check for a graduation-level milestone achievement's credential."""
    monkeypatch.setattr(settings, "CREDENTIALS_HOST", ISSUER_HOST)
    issuer_key(program)
    leaves = milestones(program)
    reviewed(
        program=program, learner=learner, by=director, levels={leaves[0].pk: "4", leaves[1].pk: "2"}
    )
    credential = Credential.objects.get(learner=learner, kind=Credential.Kind.MILESTONE)
    document = credential.document

    good = run_verifier(verifier, document, live_server.url, tmp_path)
    assert good == {"verified": True, "revoked": False, "errors": []}

    tampered = copy.deepcopy(document)
    name = tampered["credentialSubject"]["achievement"]["name"]
    tampered["credentialSubject"]["achievement"]["name"] = name.replace("PC1", "PC2")
    assert tampered != document
    bad = run_verifier(verifier, tampered, live_server.url, tmp_path)
    assert bad["verified"] is False and bad["revoked"] is not True
    assert "Invalid signature." in bad["errors"]

    credential_revoke(credential=credential, reason="Review reopened.")
    revoked = run_verifier(verifier, document, live_server.url, tmp_path)
    assert revoked["verified"] is False and revoked["revoked"] is True
