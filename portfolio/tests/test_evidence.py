"""Evidence and reflections: uploads checked by content and size, files served only after a
permission check, the who-can-see-this indicator, and access-logged reads by grantees."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.paginator import Paginator
from django.template import Context, Template
from django.urls import reverse

from portfolio import services
from portfolio.evidence_html import evidence_items_html
from portfolio.models import AccessLog, Evidence
from portfolio.selectors import competencies_of_evidence_read
from portfolio.tests.factories import EvidenceFactory, ReflectionFactory, ShareGrantFactory
from portfolio.uploads import UploadTooLargeError, UploadTypeError, check_upload
from tests import factories as base

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- Checking files ---------------------------------------------------------------------------


def test_a_pdf_is_accepted_by_its_content():
    checked = check_upload(upload("certificate.pdf", PDF))
    assert (checked.content_type, checked.extension, checked.size) == (
        "application/pdf",
        "pdf",
        len(PDF),
    )


def test_plain_text_is_accepted_when_it_is_text():
    assert (
        check_upload(upload("log.txt", "Case log: résumé ✓\n".encode())).content_type
        == "text/plain"
    )


def test_a_file_whose_content_does_not_match_its_name_is_refused():
    with pytest.raises(UploadTypeError) as error:
        check_upload(upload("certificate.pdf", PNG, "application/pdf"))
    assert "content is PNG" in error.value.reason


def test_an_executable_renamed_to_pdf_is_refused():
    with pytest.raises(UploadTypeError):
        check_upload(upload("certificate.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100))


def test_an_html_file_is_refused():
    # Its content is text, but .html is no name for plain text. (Renamed .txt it would pass as
    # text/plain, and is then only ever served as a download under a sandboxing CSP.)
    with pytest.raises(UploadTypeError):
        check_upload(upload("page.html", b"<html><script>alert(1)</script></html>"))


def test_an_oversize_file_is_refused(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    with pytest.raises(UploadTooLargeError) as error:
        check_upload(upload("big.pdf", PDF + b"0" * 2000))
    assert "limit is 1.0\xa0KB" in error.value.reason


def test_an_empty_file_is_refused():
    with pytest.raises(Exception, match="empty"):
        check_upload(upload("empty.pdf", b""))


# --- Creating evidence ------------------------------------------------------------------------


def test_evidence_with_a_file_is_stored_under_a_name_that_hides_the_original(learner, leaves):
    evidence = services.evidence_create(
        learner=learner,
        kind=Evidence.Kind.DOCUMENT,
        title="BLS certificate",
        competency_ids=[leaves[0].pk],
        upload=upload("Jane Doe MRN 12345.pdf", PDF),
    )
    assert evidence.file_name == "Jane Doe MRN 12345.pdf"
    assert "Jane" not in evidence.file.name
    assert evidence.file.name.startswith(f"evidence/{learner.pk}/")
    assert evidence.file_type == "application/pdf"
    assert default_storage.exists(evidence.file.name)
    assert list(evidence.competencies.all()) == [leaves[0]]


def test_a_refused_upload_leaves_no_row_and_no_file(learner, settings):
    with pytest.raises(UploadTypeError):
        services.evidence_create(
            learner=learner, kind="document", title="x", upload=upload("x.pdf", PNG)
        )
    assert not Evidence.objects.exists()
    assert not (settings.MEDIA_ROOT / "evidence").exists()


def test_tagging_a_competency_of_a_framework_not_in_use_is_refused(learner, leaves):
    other = base.CompetencyFactory()
    with pytest.raises(Exception) as error:
        services.evidence_create(
            learner=learner, kind="case_log", title="x", competency_ids=[other.pk]
        )
    assert "competencies" in error.value.message_dict
    assert not Evidence.objects.exists()


def test_deleting_evidence_removes_its_file_after_commit(
    learner, django_capture_on_commit_callbacks
):
    evidence = services.evidence_create(
        learner=learner, kind="document", title="x", upload=upload("x.pdf", PDF)
    )
    name = evidence.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(evidence=evidence)
    assert not default_storage.exists(name)


# --- Pages ------------------------------------------------------------------------------------


def test_the_learner_adds_evidence_with_a_file_through_the_form(client, learner, leaves):
    client.force_login(learner)
    response = client.post(
        reverse("evidence-create"),
        {
            "kind": "procedure_log",
            "title": "Central line, supervised",
            "body": "Ultrasound guided, first pass.",
            "occurred_on": "2025-10-02",
            "competencies": [leaves[1].pk],
            "file": upload("checklist.pdf", PDF),
        },
    )
    evidence = Evidence.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evidence-detail", args=[evidence.pk])
    assert evidence.occurred_on == dt.date(2025, 10, 2)
    page = client.get(response["Location"]).content.decode()
    assert "Only you can see this" in page
    assert reverse("evidence-file", args=[evidence.pk]) in page


def test_a_mismatched_file_gets_a_400_with_the_message_on_the_file_field(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("evidence-create"),
        {
            "kind": "document",
            "title": "x",
            "occurred_on": "2025-10-02",
            "file": upload("x.pdf", PNG),
        },
    )
    assert response.status_code == 400
    assert "content is PNG" in response.content.decode()
    assert not Evidence.objects.exists()


def test_an_oversize_upload_gets_a_400_on_the_page(client, learner, settings):
    settings.UPLOAD_MAX_BYTES = 100
    client.force_login(learner)
    response = client.post(
        reverse("evidence-create"),
        {
            "kind": "document",
            "title": "x",
            "occurred_on": "2025-10-02",
            "file": upload("x.pdf", PDF * 10),
        },
    )
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()


def test_the_reflection_form_reminds_about_patient_identifiers_and_privacy(client, learner):
    client.force_login(learner)
    html = client.get(reverse("evidence-create") + "?kind=reflection").content.decode()
    assert "No patient identifiers" in html
    assert "Only you can see your reflections" in html


def test_the_indicator_names_who_can_see_shared_items(client, learner, coach):
    ShareGrantFactory(learner=learner, grantee=coach, share_checkins=False, share_evidence=True)
    evidence = EvidenceFactory(learner=learner)
    reflection = ReflectionFactory(learner=learner)
    client.force_login(learner)
    evidence_page = client.get(reverse("evidence-detail", args=[evidence.pk])).content.decode()
    reflection_page = client.get(reverse("evidence-detail", args=[reflection.pk])).content.decode()
    assert f"<strong>{coach.name}</strong>" in evidence_page
    assert "Only you can see this" in reflection_page


def test_the_file_is_served_to_its_owner_with_a_sandbox(client, learner):
    evidence = services.evidence_create(
        learner=learner, kind="document", title="x", upload=upload("cert.pdf", PDF)
    )
    client.force_login(learner)
    response = client.get(reverse("evidence-file", args=[evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("person", ["coach", "other_learner", "director", "admin_user"])
def test_nobody_else_gets_the_file_without_a_grant(request, client, learner, person):
    evidence = services.evidence_create(
        learner=learner, kind="document", title="x", upload=upload("cert.pdf", PDF)
    )
    client.force_login(request.getfixturevalue(person))
    assert client.get(reverse("evidence-file", args=[evidence.pk])).status_code == 404
    assert (
        client.get(reverse("shared-evidence-file", args=[learner.pk, evidence.pk])).status_code
        == 404
    )


def test_a_grantee_downloads_a_shared_file_and_the_learner_sees_it_in_the_log(
    client, learner, coach
):
    evidence = services.evidence_create(
        learner=learner, kind="document", title="BLS", upload=upload("cert.pdf", PDF)
    )
    ShareGrantFactory(learner=learner, grantee=coach, share_evidence=True)
    client.force_login(coach)
    response = client.get(reverse("shared-evidence-file", args=[learner.pk, evidence.pk]))
    assert response.status_code == 200
    entry = AccessLog.objects.get()
    assert (entry.viewer, entry.action, entry.item_id) == (coach, "download", evidence.pk)
    client.force_login(learner)
    assert "BLS" in client.get(reverse("access-log")).content.decode()


def test_no_public_url_serves_uploaded_files(client, learner, settings):
    evidence = services.evidence_create(
        learner=learner, kind="document", title="x", upload=upload("cert.pdf", PDF)
    )
    client.force_login(learner)
    assert client.get(f"/media/{evidence.file.name}").status_code == 404
    assert client.get(f"/{evidence.file.name}").status_code == 404


@pytest.mark.parametrize("size", [10, 1000])
def test_the_evidence_list_runs_a_fixed_number_of_queries(
    client, learner, leaves, size, django_assert_num_queries
):
    items = Evidence.objects.bulk_create(
        Evidence(
            learner=learner, kind="case_log", title=f"Case {i}", occurred_on=dt.date(2025, 1, 1)
        )
        for i in range(size)
    )
    Evidence.competencies.through.objects.bulk_create(
        Evidence.competencies.through(evidence_id=e.pk, competency_id=leaves[0].pk) for e in items
    )
    client.force_login(learner)
    # 1 session, 2 user, 3 active grants, 4 count, 5 page of evidence (plain rows), 6 their
    # competencies with their frameworks, 7 navigation roles
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(8):
        response = client.get(reverse("evidence-list"))
    assert response.status_code == 200


def _list_of(learner, kind):
    """What the list showed when it paged its queryset: each page's ids and codes."""
    items = Evidence.objects.filter(learner=learner)
    return items.filter(kind=kind) if kind else items


@pytest.mark.parametrize("kind", ["", "reflection", "case_log"])
@pytest.mark.parametrize("asked", ["1", "2", "3", "0", "99", "x", "1" + "0" * 20])
def test_each_page_of_the_list_holds_what_paging_its_queryset_gives(
    client, learner, leaves, kind, asked
):
    """The page, its count and its competencies are read together by compiled statements;
    every page (and a number past the end, or no number) shows what Django's paginator gives
    for the model's order, ties on the date included, with each item's own codes."""
    for n in range(56):
        factory = ReflectionFactory if n % 3 == 0 else EvidenceFactory
        item = factory(learner=learner, occurred_on=dt.date(2025, 1, 1 + n % 4))
        item.competencies.set(leaves[: (n // 2) % 3])
    EvidenceFactory()  # someone else's
    client.force_login(learner)

    query = f"?page={asked}" + (f"&kind={kind}" if kind else "")
    page = client.get(reverse("evidence-list") + query).context["page"]

    expected = Paginator(_list_of(learner, kind), 25).get_page(asked)
    ids = [item.pk for item in expected.object_list]
    tags = competencies_of_evidence_read(ids).run()
    assert [item["id"] for item in page.object_list] == ids
    assert [item["codes"] for item in page.object_list] == [
        [tag.code for tag in tags[pk]] for pk in ids
    ]
    assert (page.number, page.paginator.count) == (expected.number, expected.paginator.count)
    assert any(tags.values())  # the items shown carry competencies


def test_an_unknown_kind_lists_everything(client, learner):
    EvidenceFactory(learner=learner)
    ReflectionFactory(learner=learner)
    client.force_login(learner)
    response = client.get(reverse("evidence-list") + "?kind=nonsense")
    assert response.context["page"].paginator.count == 2
    assert response.context["kind"] == ""


# What the list's items were as a template loop: the markup the Python writer keeps.
ITEMS_AS_A_TEMPLATE = """<ul class="record-list">
  {% for item in items %}
  <li class="card">
    <h2 class="h3"><a href="{% url 'evidence-detail' item.id %}">{{ item.title }}</a></h2>
    <p class="muted">{{ item.kind_label }} · {{ item.occurred_on|date:"j M Y" }}{% if item.file %} · file: {{ item.file_name }}{% endif %}
    {% if item.kind == "reflection" %}{% if reflections_shared %}<span class="badge shared">Shared</span>{% else %}<span class="badge private">Private</span>{% endif %}{% else %}{% if evidence_shared %}<span class="badge shared">Shared</span>{% else %}<span class="badge private">Private</span>{% endif %}{% endif %}</p>
    {% if item.codes %}<p class="chips">{% for code in item.codes %}<span class="chip">{{ code }}</span>{% endfor %}</p>{% endif %}
  </li>
  {% endfor %}
</ul>"""


def _collapsed(markup: str) -> str:
    """Markup with the template's indentation between tags taken out and runs of spaces made
    one (what a browser shows is the same)."""
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", markup)).strip()


@pytest.mark.parametrize("evidence_shared", [True, False])
def test_the_list_items_are_the_markup_the_template_wrote(evidence_shared):
    items = [
        {
            "id": 7,
            "kind": "case_log",
            "kind_label": "Case log",
            "title": 'Chest pain <b>& "tricky"</b> it\'s',
            "occurred_on": dt.date(2025, 1, 9),
            "file": "",
            "file_name": "",
            "codes": ["PC1", "MK<2>"],
        },
        {
            "id": 8,
            "kind": "reflection",
            "kind_label": "Reflection",
            "title": "After the night shift",
            "occurred_on": dt.date(2024, 12, 31),
            "file": "evidence/8/notes.pdf",
            "file_name": "notes & <more>.pdf",
            "codes": [],
        },
    ]
    flags = {"evidence_shared": evidence_shared, "reflections_shared": not evidence_shared}

    written = evidence_items_html(items, **flags)
    templated = Template("{% load static %}" + ITEMS_AS_A_TEMPLATE).render(
        Context({"items": items, **flags})
    )

    assert _collapsed(written) == _collapsed(templated)
    assert "&lt;b&gt;&amp; &quot;tricky&quot;&lt;/b&gt; it&#x27;s" in written
