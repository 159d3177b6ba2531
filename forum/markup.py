"""Markdown in, safe HTML out. The only module that touches bleach.

markdown-it-py renders CommonMark with raw HTML switched off (typed tags show as text);
bleach then keeps only an explicit allowlist, so even a mistake in the Markdown rules
cannot let a script through. Every link gets rel="nofollow ugc noopener", and images
become plain links: loading a picture from another site would tell it who is reading.
"""

import html
from html.parser import HTMLParser

import bleach
from bleach.html5lib_shim import Filter
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

# Bump when the rules change; `flask posts rerender` brings stored HTML up to date.
MARKUP_VERSION = 1

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "ol": ["start"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
# Post headings sit below the page's own h1 and h2.
HEADING_SHIFT = 2


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.add_render_rule("image", _render_image_as_link)
    md.add_render_rule("heading_open", _render_shifted_heading)
    md.add_render_rule("heading_close", _render_shifted_heading)
    return md


def _render_image_as_link(self, tokens, idx, options, env):
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    label = self.renderInline(token.children or [], options, env) or escapeHtml(src)
    if not src.lower().startswith(("http://", "https://")):
        return label
    return f'<a href="{escapeHtml(src)}">{label}</a>'


def _render_shifted_heading(self, tokens, idx, options, env):
    token = tokens[idx]
    level = min(int(token.tag[1]) + HEADING_SHIFT, 6)
    return f"<h{level}>" if token.nesting == 1 else f"</h{level}>\n"


class LinkRelFilter(Filter):
    """Give every surviving link the same rel, whatever the source asked for."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attributes = dict(token.get("data", {}))
                attributes[(None, "rel")] = LINK_REL
                token["data"] = attributes
            yield token


_markdown = _build_markdown()
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[LinkRelFilter],
)


def render_markdown(source: str) -> str:
    """Return sanitised HTML for a post's Markdown source."""
    return _cleaner.clean(_markdown.render(source)).strip()


class _TextExtractor(HTMLParser):
    def __init__(self):
        # Entities are kept as typed here and decoded once, all together, by visible_text.
        super().__init__(convert_charrefs=False)
        self.pieces: list[str] = []

    def handle_data(self, data):
        self.pieces.append(data)

    def handle_entityref(self, name):
        self.pieces.append(f"&{name};")

    def handle_charref(self, name):
        self.pieces.append(f"&#{name};")


def visible_text(rendered: str) -> str:
    """The text a reader would see in rendered HTML, tags dropped and entities decoded."""
    extractor = _TextExtractor()
    extractor.feed(rendered)
    extractor.close()
    return html.unescape("".join(extractor.pieces))
