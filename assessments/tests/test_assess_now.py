"""Assess me now: a learner's code, redeemed once by an assessor of their program, within
its minutes; a one-time sign-in link for faculty who are not signed in. Pages and API."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from assessments.models import AssessmentRequest, AssessNowCode, AssessNowLink
from assessments.services import assess_now as svc
from assessments.tests.factories import *  # noqa: F403
from notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def code(obs):
    made, _ = svc.assess_now_code_create(
        learner=obs.learner, competency_ids=[obs.epas[0].pk], setting="ward", case_type="sepsis"
    )
    return made


def test_a_code_expires_after_the_configured_minutes(obs, settings):
    settings.ASSESS_NOW_CODE_MINUTES = 3
    made, created = svc.assess_now_code_create(learner=obs.learner, competency_ids=[obs.epas[0].pk])
    assert created
    assert (made.expires_at - made.created_at) == dt.timedelta(minutes=3)


def test_the_same_client_token_returns_the_first_code(obs):
    token = uuid.uuid4()
    first, _ = svc.assess_now_code_create(
        learner=obs.learner, competency_ids=[obs.epas[0].pk], client_token=token
    )
    again, created = svc.assess_now_code_create(
        learner=obs.learner, competency_ids=[obs.epas[1].pk], client_token=token
    )
    assert (again.pk, created) == (first.pk, False)
    assert AssessNowCode.objects.count() == 1


def test_items_outside_the_learners_programs_are_refused(obs):
    _, foreign = epa_framework()  # noqa: F405
    with pytest.raises(svc.ValidationError) as error:
        svc.assess_now_code_create(learner=obs.learner, competency_ids=[foreign[0].pk])
    assert "competencies" in error.value.message_dict
    assert not AssessNowCode.objects.exists()


def test_redeeming_opens_a_request_to_the_assessor_on_the_codes_items(obs, code):
    request = svc.assess_now_redeem(code=code, assessor=obs.assessor)
    assert (request.learner, request.assessor, request.status) == (
        obs.learner,
        obs.assessor,
        AssessmentRequest.Status.OPEN,
    )
    assert list(request.competencies.all()) == [obs.epas[0]]
    assert (request.setting, request.case_type) == ("ward", "sepsis")
    code.refresh_from_db()
    assert code.redeemed_at is not None and code.request == request


def test_a_second_scan_is_refused_and_writes_nothing(obs, code, director):
    svc.assess_now_redeem(code=code, assessor=obs.assessor)
    with pytest.raises(svc.AssessNowError) as error:
        svc.assess_now_redeem(code=svc.code_from_token(svc.code_token(code)), assessor=director)
    assert error.value.kind == "used"
    assert AssessmentRequest.objects.count() == 1


def test_an_expired_code_is_refused_and_writes_nothing(obs, code):
    with (
        time_machine.travel(timezone.now() + dt.timedelta(minutes=11)),
        pytest.raises(svc.AssessNowError) as error,
    ):
        svc.assess_now_redeem(code=code, assessor=obs.assessor)
    assert error.value.kind == "expired"
    assert not AssessmentRequest.objects.exists()
    code.refresh_from_db()
    assert code.redeemed_at is None


def test_someone_outside_the_program_cannot_redeem_and_the_code_stays_usable(
    obs, code, other_director
):
    with pytest.raises(svc.ValidationError):
        svc.assess_now_redeem(code=code, assessor=other_director)
    with pytest.raises(svc.ValidationError):
        svc.assess_now_redeem(code=code, assessor=obs.learner)
    code.refresh_from_db()
    assert code.redeemed_at is None
    assert not AssessmentRequest.objects.exists()


def test_a_tampered_token_is_invalid(code):
    token = svc.code_token(code)
    with pytest.raises(svc.AssessNowError) as error:
        svc.code_from_token(token[:-2] + "xx")
    assert error.value.kind == "invalid"


# --- Pages ---------------------------------------------------------------------------------


def test_the_learner_sees_a_qr_code_of_the_scan_url(client, obs, code):
    client.force_login(obs.learner)
    page = client.get(f"/assessments/now/{code.pk}/").content.decode()
    url = f"http://testserver/assessments/now/scan/{svc.code_token(code)}/"
    assert f'data-assess-now-url="{url}"' in page
    assert '<svg class="qr-code"' in page or 'class="qr-code"' in page


def test_another_learner_cannot_see_the_code_page(client, obs, code, other_learner):
    client.force_login(other_learner)
    assert client.get(f"/assessments/now/{code.pk}/").status_code == 404


def test_a_signed_in_assessor_lands_on_the_filled_form(client, obs, code):
    client.force_login(obs.assessor)
    response = client.get(f"/assessments/now/scan/{svc.code_token(code)}/", follow=True)
    request = AssessmentRequest.objects.get()
    assert response.redirect_chain[-1][0] == f"/assessments/requests/{request.pk}/complete/"
    assert f"Observe {obs.learner.name}" in response.content.decode()


def test_a_reused_code_page_says_so_with_nothing_written(client, obs, code, director):
    client.force_login(obs.assessor)
    client.get(f"/assessments/now/scan/{svc.code_token(code)}/")
    client.force_login(director)
    response = client.get(f"/assessments/now/scan/{svc.code_token(code)}/")
    assert response.status_code == 409
    assert "already been used" in response.content.decode()
    assert "Open the form you started" not in response.content.decode()
    assert AssessmentRequest.objects.count() == 1


def test_an_expired_code_page_says_so(client, obs, code):
    client.force_login(obs.assessor)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=30)):
        response = client.get(f"/assessments/now/scan/{svc.code_token(code)}/")
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not AssessmentRequest.objects.exists()


def test_a_visitor_is_offered_sign_in_and_spends_nothing(client, obs, code):
    response = client.get(f"/assessments/now/scan/{svc.code_token(code)}/")
    assert response.status_code == 200
    assert "Email me a sign-in link" in response.content.decode()
    code.refresh_from_db()
    assert code.redeemed_at is None


def test_faculty_get_a_one_time_link_that_signs_in_and_lands_on_the_form(
    client, obs, code, django_capture_on_commit_callbacks
):
    token = svc.code_token(code)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/assessments/now/scan/{token}/email/", {"email": obs.assessor.email.upper()}
        )
    assert response.status_code == 200
    note = Notification.objects.get(recipient=obs.assessor)
    assert note.url.startswith("/assessments/now/link/")
    assert len(mail.outbox) == 1 and note.url in mail.outbox[0].body
    # Opening the link shows a button (a mail scanner's visit spends nothing).
    assert client.get(note.url).status_code == 200
    assert AssessNowLink.objects.get().used_at is None
    response = client.post(note.url, follow=True)
    request = AssessmentRequest.objects.get()
    assert response.redirect_chain[-1][0] == f"/assessments/requests/{request.pk}/complete/"
    assert request.assessor == obs.assessor
    # The link works once.
    assert client.post(note.url).status_code == 409
    assert AssessmentRequest.objects.count() == 1


def test_no_link_goes_to_an_address_off_the_faculty_list_and_the_page_does_not_tell(
    client, obs, code
):
    outsider = factories.UserFactory(email="someone@example.org")
    for email in (outsider.email, "nobody@example.org", obs.learner.email):
        response = client.post(
            f"/assessments/now/scan/{svc.code_token(code)}/email/", {"email": email}
        )
        assert response.status_code == 200
        assert "If that address is on the faculty list" in response.content.decode()
    assert not AssessNowLink.objects.exists()
    assert not Notification.objects.exists()


def test_an_expired_sign_in_link_is_refused(client, obs, code):
    svc.assess_now_link_request(code=code, email=obs.assessor.email)
    link = AssessNowLink.objects.get()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        response = client.post(f"/assessments/now/link/{svc.link_token(link)}/")
    assert response.status_code == 410
    assert not AssessmentRequest.objects.exists()
    assert "_auth_user_id" not in client.session


# --- API ------------------------------------------------------------------------------------


def test_api_learner_makes_a_code_and_an_assessor_redeems_it_once(client, obs, director):
    client.force_login(obs.learner)
    made = client.post(
        "/api/v1/assess-now/",
        {"competencies": [obs.epas[0].pk], "setting": "clinic"},
        content_type="application/json",
    )
    assert made.status_code == 201
    body = made.json()
    assert body["url"].endswith(f"/assessments/now/scan/{body['code']}/")
    assert body["qr_svg"].startswith("<svg")
    client.force_login(obs.assessor)
    redeemed = client.post(
        "/api/v1/assess-now/redeem/", {"code": body["code"]}, content_type="application/json"
    )
    assert redeemed.status_code == 201
    assert redeemed.json()["learner"]["id"] == obs.learner.pk
    client.force_login(director)
    again = client.post(
        "/api/v1/assess-now/redeem/", {"code": body["code"]}, content_type="application/json"
    )
    assert again.status_code == 409
    assert "already been used" in again.json()["detail"]
    assert AssessmentRequest.objects.count() == 1


def test_api_expired_and_made_up_codes_are_clear_errors(client, obs, code):
    client.force_login(obs.assessor)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        expired = client.post(
            "/api/v1/assess-now/redeem/",
            {"code": svc.code_token(code)},
            content_type="application/json",
        )
    assert expired.status_code == 410
    made_up = client.post(
        "/api/v1/assess-now/redeem/", {"code": "nonsense"}, content_type="application/json"
    )
    assert made_up.status_code == 404
    assert not AssessmentRequest.objects.exists()


def test_api_outsider_redeeming_gets_403(client, code, other_director):
    client.force_login(other_director)
    response = client.post(
        "/api/v1/assess-now/redeem/",
        {"code": svc.code_token(code)},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not AssessmentRequest.objects.exists()


def test_api_sign_in_link_answers_the_same_whether_or_not_it_went(client, obs, code):
    for email in (obs.assessor.email, "nobody@example.org"):
        response = client.post(
            "/api/v1/assess-now/sign-in-link/",
            {"code": svc.code_token(code), "email": email},
            content_type="application/json",
        )
        assert response.status_code == 202
    assert AssessNowLink.objects.count() == 1


def test_the_assessor_scanning_again_is_refused_but_pointed_to_their_form(client, obs, code):
    client.force_login(obs.assessor)
    client.get(f"/assessments/now/scan/{svc.code_token(code)}/")
    again = client.get(f"/assessments/now/scan/{svc.code_token(code)}/")
    request = AssessmentRequest.objects.get()
    assert again.status_code == 409
    assert f"/assessments/requests/{request.pk}/complete/" in again.content.decode()
    assert AssessmentRequest.objects.count() == 1
