"""Turn lesson Markdown into safe HTML.

Raw HTML in content is shown as text, never passed through; links other than
addresses on the box, mail, telephone and SMS are dropped (the box has no
internet, so a web link could not open).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown_it import MarkdownIt
from markupsafe import Markup

SAFE_LINK_RE = re.compile(r"^(?:[a-z0-9._~#?-]|/(?!/))", re.IGNORECASE)
SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _is_safe_link(url: str) -> bool:
    # Only addresses on the box and phone actions: the box has no internet.
    url = url.strip()
    if SCHEME_RE.match(url):
        return url.lower().startswith(("mailto:", "tel:", "sms:"))
    return url == "" or bool(SAFE_LINK_RE.match(url))


_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.validateLink = _is_safe_link


def render_markdown(text: str, *, media_url: Callable[[str], str | None]) -> Markup:
    """Render ``text``; images naming a file in the pack's media/ get its URL."""
    tokens = _markdown.parse(text)
    for token in tokens:
        for child in token.children or ():
            if child.type == "image":
                source = str(child.attrs.get("src", "")).removeprefix("media/")
                resolved = media_url(source)
                if resolved:
                    child.attrs["src"] = resolved
    return Markup(_markdown.renderer.render(tokens, _markdown.options, {}))
