"""Credentials: a signed-off entrustment decision earns the learner one signed Open Badges
credential; the issuer's DID document and status list are served; our own check tells a
valid credential from a changed, revoked or unknown one; the learner alone downloads theirs."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from committee.entrustment import EntrustmentConflictError, entrustment_decision_sign_off
from committee.models import EntrustmentDecision
from credentials import issuer
from credentials.jsonld import ContextNotLocalError, canonize, document_loader
from credentials.models import Credential, IssuerKey
from credentials.services import (
    credential_issue_for_decision,
    credential_revoke,
    credential_verify,
    credentials_erase_for_user,
    issuer_key_rotate,
)
from credentials.tests.factories import issued
from portfolio.models import AccessLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def credential(program, learner, director) -> Credential:
    return issued(program=program, learner=learner, by=director)


def test_sign_off_issues_one_signed_open_badge_credential(credential, learner, program):
    doc = credential.document
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["issuer"]["id"] == issuer.issuer_did(program.institution)
    assert doc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert doc["credentialStatus"]["statusListIndex"] == str(credential.status_index)
    assert credential.learner == learner
    assert learner.email not in json.dumps(doc)  # only a salted hash names the learner
    # Issuing again for the same decision returns the same credential.
    again = credential_issue_for_decision(decision=credential.decision)
    assert again == credential and Credential.objects.count() == 1


def test_a_decision_signed_off_before_any_key_is_issued_when_the_key_is_made(
    program, learner, director
):
    issued(program=program, learner=learner, by=director)
    Credential.objects.all().delete()
    IssuerKey.objects.all().delete()  # as before the institution's first key
    decision = EntrustmentDecision.objects.get()
    assert credential_issue_for_decision(decision=decision) is None
    call_command("credentials_issuer_key", program.institution.slug)
    assert Credential.objects.filter(decision=decision).count() == 1


def test_our_check_verifies_then_rejects_a_changed_subject(credential):
    assert credential_verify(document=credential.document).verified
    tampered = copy.deepcopy(credential.document)
    name = tampered["credentialSubject"]["achievement"]["name"]
    tampered["credentialSubject"]["achievement"]["name"] = name[:-1] + "X"
    result = credential_verify(document=tampered)
    assert not result.verified
    assert "changed after issue" in result.problems[0]


def test_revoked_credential_fails_and_its_bit_is_set_in_the_status_list(credential, program):
    credential_revoke(credential=credential, reason="Issued in error.")
    result = credential_verify(document=credential.document)
    assert not result.verified and "revoked" in result.problems[0]
    response = Client().get(f"/credentials/status/{program.institution.slug}/")
    listed = response.json()
    assert listed["credentialSubject"]["encodedList"] == issuer.encoded_list(
        [credential.status_index]
    )
    assert credential_verify(document=listed).problems == [
        "The issuer has no record of this credential."
    ]  # signed by the same key, but it is a list, not a credential


def test_rotation_keeps_old_credentials_verifiable_and_signs_new_ones_with_the_new_key(
    credential, program, learner, director
):
    old_method = credential.document["proof"]["verificationMethod"]
    issuer_key_rotate(institution=program.institution)
    newer = issued(program=program, learner=learner, by=director)
    assert newer.document["proof"]["verificationMethod"] != old_method
    assert credential_verify(document=credential.document).verified
    assert credential_verify(document=newer.document).verified
    did_doc = Client().get(f"/credentials/issuers/{program.institution.slug}/did.json").json()
    assert {m["id"] for m in did_doc["verificationMethod"]} == {
        old_method,
        newer.document["proof"]["verificationMethod"],
    }
    assert "private" not in json.dumps(did_doc).lower()


def test_an_unknown_issuer_or_a_foreign_context_is_a_clear_failure(credential):
    other = copy.deepcopy(credential.document)
    other["issuer"]["id"] = "did:web:elsewhere.example"
    assert "not one this server can resolve" in credential_verify(document=other).problems[0]
    foreign = copy.deepcopy(credential.document)
    foreign["@context"].append("https://example.org/context.jsonld")
    assert not credential_verify(document=foreign).verified
    with pytest.raises(ContextNotLocalError):
        document_loader("https://example.org/context.jsonld")
    assert "OpenBadgeCredential" in canonize({k: v for k, v in credential.document.items()})


def test_the_learner_downloads_their_credential_and_another_learner_gets_404(
    credential, learner, other_learner
):
    client = Client()
    client.force_login(learner)
    response = client.get(f"/credentials/{credential.public_id}.json")
    assert response.status_code == 200
    assert json.loads(response.content) == credential.document
    assert b"Download (JSON)" in client.get("/credentials/").content
    client.force_login(other_learner)
    assert client.get(f"/credentials/{credential.public_id}.json").status_code == 404
    api = APIClient()
    api.force_authenticate(other_learner)
    assert api.get(f"/api/v1/credentials/{credential.public_id}/").status_code == 404
    assert api.get("/api/v1/credentials/").json()["results"] == []


def test_the_api_verifies_and_names_what_is_wrong(credential):
    api = APIClient()
    ok = api.post("/api/v1/credentials/verify/", {"credential": credential.document}, format="json")
    assert ok.status_code == 200 and ok.json()["verified"] is True
    tampered = copy.deepcopy(credential.document)
    tampered["validFrom"] = "2020-01-01T00:00:00Z"
    bad = api.post("/api/v1/credentials/verify/", {"credential": tampered}, format="json")
    assert bad.status_code == 200 and bad.json()["verified"] is False
    assert "changed after issue" in bad.json()["problems"][0]
    empty = api.post("/api/v1/credentials/verify/", {"credential": "nope"}, format="json")
    assert empty.json() == {
        "verified": False,
        "problems": ["This is not a signed credential (no proof)."],
        "issuer": "",
        "title": "",
    }
    missing = api.post("/api/v1/credentials/verify/", {}, format="json")
    assert missing.status_code == 400


def test_the_shared_verification_page_says_verified_then_revoked(credential, learner, director):
    page = Client().get(f"/credentials/verify/{credential.public_id}/")
    assert b"Verified." in page.content
    # Every opening by someone else lands in the holder's access log; their own does not.
    owner = Client()
    owner.force_login(learner)
    owner.get(f"/credentials/verify/{credential.public_id}/")
    staff = Client()
    staff.force_login(director)
    staff.get(f"/credentials/verify/{credential.public_id}/")
    assert list(
        AccessLog.objects.filter(learner=learner, item_type="credential")
        .order_by("id")
        .values_list("viewer_id", "viewer_name")
    ) == [(None, "A visitor with the verification link"), (director.pk, director.name)]
    credential_revoke(credential=credential, reason="Decision withdrawn.")
    page = Client().get(f"/credentials/verify/{credential.public_id}/")
    assert b"Not verified." in page.content and b"revoked" in page.content


def test_signing_off_twice_does_not_issue_twice(credential, director):
    with pytest.raises(EntrustmentConflictError):
        entrustment_decision_sign_off(decision=credential.decision, by=director)
    assert Credential.objects.count() == 1


def test_erasure_deletes_our_copies_but_keeps_revoked_bits_and_never_reuses_an_index(
    program, learner, director
):
    kept = issued(program=program, learner=learner, by=director)
    withdrawn = issued(program=program, learner=learner, by=director)
    credential_revoke(credential=withdrawn, reason="Issued in error.")
    credentials_erase_for_user(user=learner)
    assert not Credential.objects.filter(pk__in=[kept.pk, withdrawn.pk]).exists()
    slug = program.institution.slug
    listed = Client().get(f"/credentials/status/{slug}/").json()
    assert listed["credentialSubject"]["encodedList"] == issuer.encoded_list(
        [withdrawn.status_index]
    )
    newer = issued(program=program, learner=learner, by=director)
    assert newer.status_index > withdrawn.status_index > kept.status_index


@pytest.mark.parametrize(
    "shape",
    [
        {"proof": {}},
        {"proof": {"verificationMethod": 5}, "issuer": ["x"]},
        {"proof": {"cryptosuite": "eddsa-rdfc-2022", "proofValue": "z!!"}, "issuer": {"id": 7}},
        {"@context": 3, "proof": {"proofValue": "zabc", "cryptosuite": "eddsa-rdfc-2022"}},
    ],
)
def test_odd_shapes_are_answered_not_crashed(shape, credential):
    document = {**copy.deepcopy(credential.document), **shape}
    response = APIClient().post(
        "/api/v1/credentials/verify/", {"credential": document}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["verified"] is False and response.json()["problems"]


def test_anyone_pastes_a_credential_and_sees_the_check(credential):
    client = Client()
    page = client.post("/credentials/verify/", {"credential": json.dumps(credential.document)})
    assert b"Verified." in page.content
    tampered = copy.deepcopy(credential.document)
    tampered["credentialSubject"]["achievement"]["description"] += "!"
    page = client.post("/credentials/verify/", {"credential": json.dumps(tampered)})
    assert b"changed after issue" in page.content
    page = client.post("/credentials/verify/", {"credential": "{not json"})
    assert b"This is not JSON (line 1, column 2" in page.content


def test_the_director_revokes_through_the_api_with_a_reason(credential, director, learner):
    api = APIClient()
    api.force_authenticate(director)
    url = f"/api/v1/credentials/{credential.public_id}/revoke/"
    missing = api.post(url, {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    done = api.post(url, {"reason": "Decision withdrawn."}, format="json")
    assert done.status_code == 200 and done.json()["revoked"] is True
    credential.refresh_from_db()
    assert credential.revocation_reason == "Decision withdrawn."
    again = api.post(url, {"reason": "Twice."}, format="json")
    assert again.status_code == 200
    credential.refresh_from_db()
    assert credential.revocation_reason == "Decision withdrawn."  # the first revocation stands
    api.force_authenticate(learner)
    assert api.post(url, {"reason": "Mine."}, format="json").status_code == 404


def test_generating_and_rotating_the_signing_key_is_in_the_audit_log(program, admin_user):
    from audit.models import AuditEvent

    first = issuer_key_rotate(institution=program.institution, by=admin_user)
    second = issuer_key_rotate(institution=program.institution)

    generated, rotated = AuditEvent.objects.order_by("id")
    assert (generated.action, generated.actor) == ("issuer_key.generate", admin_user)
    assert generated.after == {"active_key": first.key_id, "public_key": first.public_multibase}
    assert (rotated.action, rotated.actor) == ("issuer_key.rotate", None)
    assert rotated.before == {"active_key": [first.key_id]}
    assert rotated.after["active_key"] == second.key_id
    assert {generated.institution_id, rotated.institution_id} == {program.institution_id}
