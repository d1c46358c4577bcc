"""A record's summary, written in Markdown, as the HTML that pages and PDFs show: one function.

markdown-it-py (CommonMark, raw HTML off: what a rapporteur types as HTML is shown as text)
writes the HTML, and nh3 keeps only the few elements Markdown makes and links to the web or
to an address; every link opens without handing the page over (rel="noopener noreferrer").
The summary itself is kept as its Markdown source: only what shows it renders it.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Images would fetch from anywhere (a page) or nothing (a PDF): `![text](url)` stays a link.
_PARSER = MarkdownIt("commonmark", {"html": False}).disable("image")

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_CLEANER = nh3.Cleaner(
    tags={"p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "code", "pre", "hr"}
    | _HEADINGS,
    clean_content_tags={"script", "style"},
    attributes={"a": {"href"}, "ol": {"start"}},
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
    link_rel="noopener noreferrer",
)


def summary_html(source: str | None, *, top: int = 3) -> Markup:
    """The summary as sanitised HTML. `top`: the level a `#` heading takes where it is shown
    (below the page's own headings: 3 under a page's h2, 4 under a report item's h3)."""
    if not source or not source.strip():
        return Markup("")
    tokens = _PARSER.parse(source)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + top - 1)}"
    html = _PARSER.renderer.render(tokens, _PARSER.options, {})
    # Safe to mark: nh3 kept only the elements and links listed above.
    return Markup(_CLEANER.clean(html))
