"""Markdown for comments, meeting notes and group posts, rendered to HTML that is safe to show.

Python-Markdown turns the text into HTML (raw HTML included), then nh3 keeps only a small
set of tags and attributes: no scripts, no event handlers, no styles, no images, and links
only to http(s) and mailto, each with rel="noopener noreferrer nofollow".
"""

from __future__ import annotations

import html

import markdown as markdown_lib
import nh3

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"


def render_markdown(text: str) -> str:
    """Markdown source → sanitised HTML fragment."""
    if not text:
        return ""
    html = markdown_lib.markdown(
        text,
        extensions=["sane_lists", "nl2br", "fenced_code", "toc"],
        # A heading in a comment must not outrank the page's own headings.
        extension_configs={"toc": {"baselevel": 3}},
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        clean_content_tags={"script", "style"},
        strip_comments=True,
    )


def markdown_to_text(text: str) -> str:
    """Markdown source → plain text (for notification bodies and emails)."""
    html_text = nh3.clean(render_markdown(text), tags=set(), strip_comments=True)
    return " ".join(html.unescape(html_text).split())
