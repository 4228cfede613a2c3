"""import_framework, export_framework and load_frameworks: output and exit codes."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from frameworks.models import Framework
from frameworks.services import SHIPPED_DIR
from frameworks.tests.factories import CSV_TEXT, DOC, as_bytes, row_counts

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def tiny_json(tmp_path) -> Path:
    path = tmp_path / "tiny.json"
    path.write_bytes(as_bytes(DOC))
    return path


def test_import_framework_prints_what_it_imported(tiny_json):
    out, _ = run("import_framework", str(tiny_json))

    assert out == "tiny 1.0: imported (1 domain, 3 ratable items, 3 level descriptors).\n"
    assert Framework.objects.filter(code="tiny", version="1.0").exists()


def test_import_framework_twice_says_unchanged(tiny_json):
    run("import_framework", str(tiny_json))

    out, _ = run("import_framework", str(tiny_json))

    assert out == "tiny 1.0: already present, unchanged.\n"


def test_import_framework_reads_csv_with_an_explicit_format(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(CSV_TEXT)

    out, _ = run("import_framework", str(path), "--format", "csv")

    assert out.startswith("tiny 1.0: imported")


def test_import_framework_reports_bad_input_as_a_command_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(CSV_TEXT.replace("competency,A2,A,Second item,,", "competency,A2,A,,,"))

    with pytest.raises(CommandError) as caught:
        run("import_framework", str(path))

    assert str(caught.value) == (
        'bad.csv: line 20, column "title": is missing or empty; it is required'
    )
    assert row_counts()["Framework"] == 0


def test_import_framework_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot open the file"):
        run("import_framework", str(tmp_path / "nowhere.json"))


def test_export_framework_writes_json_to_standard_output_exactly(tiny_json):
    run("import_framework", str(tiny_json))

    out, _ = run("export_framework", "tiny", "1.0")

    # Re-importing the export finds the same content.
    tiny_json.write_text(out)
    assert run("import_framework", str(tiny_json))[0] == "tiny 1.0: already present, unchanged.\n"
    assert out.endswith("}\n") and not out.endswith("\n\n")


def test_export_framework_writes_csv_to_a_file(tiny_json, tmp_path):
    run("import_framework", str(tiny_json))
    target = tmp_path / "out.csv"

    _, err = run("export_framework", "tiny", "1.0", "--format", "csv", "-o", str(target))

    assert target.read_text() == CSV_TEXT
    assert err == f"Wrote tiny 1.0 to {target}.\n"


def test_export_framework_of_an_unknown_version_lists_the_known_ones(tiny_json):
    run("import_framework", str(tiny_json))

    with pytest.raises(CommandError) as caught:
        run("export_framework", "tiny", "9.9")

    assert str(caught.value) == "No framework tiny 9.9. Known: tiny 1.0."


def test_load_frameworks_imports_every_shipped_file_then_reports_them_unchanged():
    first, _ = run("load_frameworks")
    second, _ = run("load_frameworks")

    assert first.splitlines() == [
        "aamc-core-epas.json: aamc-core-epas 2014: imported (13 ratable items, 0 level descriptors).",
        "acgme-harmonized.json: acgme-harmonized 2.0: imported (4 domains, 11 ratable items, 55 level descriptors).",
        "im-milestones.json: im-milestones 2.0: imported (6 domains, 21 ratable items, 105 level descriptors).",
    ]
    assert second.splitlines() == [
        f"{path.name}: {path.stem} {version}: already present, unchanged."
        for path, version in zip(
            sorted(SHIPPED_DIR.glob("*.json")), ["2014", "2.0", "2.0"], strict=True
        )
    ]


def test_load_frameworks_fails_naming_the_file_when_a_shipped_version_was_changed(tiny_json):
    run("load_frameworks")
    framework = Framework.objects.get(code="im-milestones")
    framework.name = "Edited by hand"
    framework.save()

    with pytest.raises(CommandError) as caught:
        run("load_frameworks")

    assert str(caught.value).startswith(
        "im-milestones.json: im-milestones 2.0 is already present with different content "
        "(name differs)"
    )


def exit_code(*argv: str) -> int:
    """Run a command the way manage.py does (argument parsing, CommandError -> exit status).

    manage.py closes the database connections when a command ends; inside a test that would
    close the test's own transaction, so that one step is left out."""
    try:
        with mock.patch("django.core.management.base.connections.close_all"):
            execute_from_command_line(["manage.py", *argv])
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


def test_exit_codes_are_zero_on_success_and_one_with_the_message_on_error(tmp_path, capsys):
    good = tmp_path / "tiny.json"
    good.write_bytes(as_bytes(DOC))
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"format": ')

    assert exit_code("import_framework", str(good)) == 0
    assert capsys.readouterr().out.startswith("tiny 1.0: imported")
    assert exit_code("import_framework", str(bad)) == 1
    assert "bad.json: line 1, column 12: not valid JSON: Expecting value" in capsys.readouterr().err
    assert exit_code("export_framework", "nope", "1") == 1
    assert "No framework nope 1." in capsys.readouterr().err
    assert exit_code("import_framework", str(good), "--format", "xml") == 2  # usage error
    assert exit_code("load_frameworks") == 0
