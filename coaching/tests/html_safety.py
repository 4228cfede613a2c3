"""Look inside rendered user content (`<div class="markdown">`) for anything executable."""

from __future__ import annotations

import html
from html.parser import HTMLParser

SAFE_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster"}
SAFE_SCHEMES = ("http:", "https:", "mailto:")


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # >0 while inside a user-content block
        self.problems: list[str] = []
        self.blocks = 0
        self._stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        opens_block = tag == "div" and "markdown" in classes
        if self.depth and not opens_block:
            self._check(tag, attrs)
        if tag not in ("br", "hr"):
            self._stack.append(opens_block)
        if opens_block:
            self.depth += 1
            self.blocks += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self._check(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "hr") or not self._stack:
            return
        if self._stack.pop():
            self.depth -= 1

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SAFE_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name in ("style", "srcdoc"):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                cleaned = "".join(html.unescape(value).split()).lower()
                if ":" in cleaned.split("/")[0] and not cleaned.startswith(SAFE_SCHEMES):
                    self.problems.append(f"{name}={value!r} on <{tag}>")
            if tag == "a" and name == "rel" and "noopener" not in (value or ""):
                self.problems.append("link without rel=noopener")
        if tag == "a" and "rel" not in dict(attrs):
            self.problems.append("link without rel")


def unsafe_parts(page: str) -> tuple[int, list[str]]:
    """(number of user-content blocks found, problems inside them)."""
    scanner = _Scanner()
    scanner.feed(page)
    scanner.close()
    return scanner.blocks, scanner.problems


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="http://ok.example" onclick="alert(1)">x</a>',
    '![img](x" onerror="alert(1))',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    "<details open ontoggle=alert(1)>x</details>",
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<input autofocus onfocus=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    '"><script>alert(1)</script>',
    '<video><source onerror="alert(1)"></video>',
    "<marquee onstart=alert(1)>x</marquee>",
    "<textarea><script>alert(1)</script></textarea>",
    "<!--<script>alert(1)</script>-->",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    '<https://ok.example/" onmouseover="alert(1)>',
    '[x](https://ok.example "title\\" onmouseover=alert(1) x=\\"")',
]
