"""`json_script_fast` writes what Django's `json_script` writes, for the dashboard's figures."""

from __future__ import annotations

import json

from django.utils.html import json_script

from core.templatetags.core_tags import json_script_fast, options


def _payload(html: str) -> object:
    return json.loads(html.split(">", 1)[1].rsplit("</script>", 1)[0])


def test_the_fast_json_script_escapes_what_could_end_the_script_and_keeps_the_data():
    figure = {"data": [{"name": "You · <b>PC1</b> & co", "x": ["2025-09-01"]}], "layout": {}}
    ours, django = json_script_fast(figure, "chart-data"), json_script(figure, "chart-data")
    assert "<b>" not in ours and "&" not in ours.split(">", 1)[1].rsplit("<", 1)[0]
    assert ours.startswith('<script id="chart-data" type="application/json">{')
    assert _payload(ours) == _payload(django) == figure


def test_options_mark_only_the_selected_value_and_escape_every_label():
    html = options([(1, "Spring <2026>"), (2, "Fall & winter"), (12, "Year-end")], 2)
    assert html == (
        '<option value="1">Spring &lt;2026&gt;</option>'
        '<option value="2" selected>Fall &amp; winter</option>'
        '<option value="12">Year-end</option>'
    )
    assert "selected" not in options([(1, "One")], None)
    assert "selected" not in options([(1, "One")], "")  # an unresolved template variable
