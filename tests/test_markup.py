"""render_markdown turns hostile input into allowlisted HTML and still renders ordinary Markdown."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from forum import markup
from forum.markup import render_markdown

REL = "nofollow ugc noopener"
SAFE_SCHEMES = {"", "http", "https", "mailto"}
FORBIDDEN_ATTRIBUTES = {"style", "src", "srcset", "formaction"}
# Browsers ignore these inside a URL, so "java\tscript:" would still run as javascript:.
CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f]")


class Collector(HTMLParser):
    """Record every start tag with its attributes, the visible text, and any markup left over."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.leftovers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.leftovers.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.leftovers.append(f"<!{decl}>")

    def unknown_decl(self, data):
        self.leftovers.append(f"<![{data}]>")

    def handle_pi(self, data):
        self.leftovers.append(f"<?{data}>")


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector


def tag_names(html: str) -> list[str]:
    return [name for name, _ in parse(html).tags]


def visible_text(html: str) -> str:
    return "".join(parse(html).text)


def href_scheme(href: str) -> str:
    # HTMLParser has already decoded character references in attribute values.
    return urlsplit(CONTROL_OR_SPACE.sub("", href).lower()).scheme


def assert_safe(html: str) -> None:
    collector = parse(html)
    assert not collector.leftovers, f"comment or declaration survived: {html!r}"
    for name, attrs in collector.tags:
        assert name in markup.ALLOWED_TAGS, f"<{name}> is not allowed: {html!r}"
        allowed = set(markup.ALLOWED_ATTRIBUTES.get(name, []))
        if name == "a":
            allowed.add("rel")
        for attr, value in attrs:
            assert not attr.startswith("on"), f"event handler {attr} on <{name}>: {html!r}"
            assert attr not in FORBIDDEN_ATTRIBUTES, f"{attr} on <{name}>: {html!r}"
            assert attr in allowed, f"{attr} is not allowed on <{name}>: {html!r}"
            if attr == "href":
                scheme = href_scheme(value or "")
                assert scheme in SAFE_SCHEMES, f"href with scheme {scheme!r}: {html!r}"
        if name == "a":
            rels = [value for attr, value in attrs if attr == "rel"]
            assert rels == [REL], f"<a> has rel {rels!r}: {html!r}"


HOSTILE_INPUTS = [
    # Script tags.
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("<ScRiPt>alert(1)</sCrIpT>", id="script-mixed-case"),
    pytest.param("<scr<script>ipt>alert(1)</scr</script>ipt>", id="script-nested"),
    pytest.param("<<script>script>alert(1)<</script>/script>", id="script-double-angle"),
    pytest.param("`<script>alert(1)</script>`", id="script-code-span"),
    pytest.param("```html\n<script>alert(1)</script>\n```", id="script-fenced-code"),
    pytest.param("    <script>alert(1)</script>", id="script-indented-code"),
    pytest.param("<script\n>alert(1)</script\n>", id="script-split-lines"),
    pytest.param("<scr\nipt>alert(1)</scr\nipt>", id="script-name-split-lines"),
    pytest.param('<script src="https://evil.example/x.js"></script>', id="script-src"),
    pytest.param("\\<script>alert(1)\\</script>", id="script-backslash-escaped"),
    pytest.param("# <script>alert(1)</script>", id="script-in-heading"),
    pytest.param("~~<script>alert(1)</script>~~", id="script-in-strikethrough"),
    # Event handlers.
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param('<img src="x" onerror="alert(1)"/>', id="img-onerror-selfclosing"),
    pytest.param("<body onload=alert(1)>", id="body-onload"),
    pytest.param('<a onclick="alert(1)" href="#">x</a>', id="a-onclick"),
    pytest.param('<div onmouseover="alert(1)">hover</div>', id="div-onmouseover"),
    pytest.param('<a href="https://example.org" onmouseover=alert(1)>x</a>', id="a-onmouseover"),
    pytest.param('[x](https://example.org" onclick="alert(1))', id="md-link-quote-in-url"),
    pytest.param("###### <img src=x onerror=alert(1)>", id="img-onerror-in-h6"),
    # javascript: in every Markdown form.
    pytest.param("[x](javascript:alert(1))", id="js-inline"),
    pytest.param("[x][r]\n\n[r]: javascript:alert(1)", id="js-reference"),
    pytest.param('[x][r]\n\n[r]: <javascript:alert(1)> "t"', id="js-reference-angle-title"),
    pytest.param("[r]\n\n[r]: javascript:alert(1)", id="js-shortcut-reference"),
    pytest.param("<javascript:alert(1)>", id="js-autolink"),
    pytest.param("<JAVASCRIPT:alert(1)>", id="js-autolink-upper"),
    pytest.param("[x](<javascript:alert(1)>)", id="js-inline-angle"),
    pytest.param("[x](jav&#x09;ascript:alert(1))", id="js-hex-tab-entity"),
    pytest.param("[x](jav&#9;ascript:alert(1))", id="js-decimal-tab-entity"),
    pytest.param("[x](jav&Tab;ascript:alert(1))", id="js-named-tab-entity"),
    pytest.param("[x](java\0script:alert(1))", id="js-null-byte"),
    pytest.param("[x](<java\0script:alert(1)>)", id="js-null-byte-angle"),
    pytest.param("[x](JAVASCRIPT:alert(1))", id="js-upper"),
    pytest.param("[x](JaVaScRiPt:alert(1))", id="js-mixed-case"),
    pytest.param("[x](  javascript:alert(1))", id="js-leading-spaces"),
    pytest.param("[x](<  javascript:alert(1)>)", id="js-leading-spaces-angle"),
    pytest.param("[x](&#106;avascript:alert(1))", id="js-decimal-entity"),
    pytest.param("[x](&#x6A;avascript:alert(1))", id="js-hex-entity"),
    pytest.param("[x](javascript&colon;alert(1))", id="js-colon-entity"),
    pytest.param("[x](%6Aavascript:alert(1))", id="js-percent-encoded"),
    pytest.param("[x](\x01javascript:alert(1))", id="js-leading-control"),
    pytest.param("[x](\ufeffjavascript:alert(1))", id="js-leading-bom"),
    pytest.param("[x](javascript://%0Aalert(1))", id="js-comment-newline"),
    pytest.param("[x](java\u200dscript:alert(1))", id="js-zero-width-joiner"),
    pytest.param("javascript:alert(1)", id="js-bare-text"),
    pytest.param("[x](mailto:javascript:alert(1))", id="js-inside-mailto"),
    # vbscript:, data:, file:.
    pytest.param("[x](vbscript:msgbox(1))", id="vbscript-inline"),
    pytest.param("<VBSCRIPT:msgbox(1)>", id="vbscript-autolink"),
    pytest.param(
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", id="data-html-link"
    ),
    pytest.param(
        "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", id="data-html-image"
    ),
    pytest.param("![x](data:image/png;base64,iVBORw0KGgo=)", id="data-png-image"),
    pytest.param("![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", id="data-svg"),
    pytest.param("data:text/html,<script>alert(1)</script>", id="data-bare-text"),
    pytest.param("<data:text/html,alert(1)>", id="data-autolink"),
    pytest.param("[x](DATA:text/html,hi)", id="data-upper"),
    pytest.param("[x](file:///etc/passwd)", id="file-inline"),
    pytest.param("<file:///etc/passwd>", id="file-autolink"),
    pytest.param("file:///etc/passwd", id="file-bare-text"),
    pytest.param("ftp://example.org/x", id="ftp-bare-text"),
    # Broken and unclosed markup.
    pytest.param('<a href="javascript:alert(1)"', id="unclosed-a"),
    pytest.param("<img src=x onerror=alert(1)//", id="unclosed-img"),
    pytest.param("<div><p>unclosed <b>bold", id="unclosed-nesting"),
    pytest.param("</p></div></body><script>alert(1)</script>", id="stray-end-tags"),
    pytest.param('<a href="x>y" onclick=alert(1)>z</a>', id="gt-in-attribute"),
    # Comments, CDATA, declarations.
    pytest.param("<!-- <script>alert(1)</script> -->", id="comment"),
    pytest.param("<!--><script>alert(1)</script>-->", id="comment-abrupt"),
    pytest.param("<![CDATA[<script>alert(1)</script>]]>", id="cdata"),
    pytest.param("<!DOCTYPE html><?xml-stylesheet href='x'?>", id="doctype-and-pi"),
    # SVG, MathML, style.
    pytest.param("<svg><script>alert(1)</script></svg>", id="svg-script"),
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
    pytest.param("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", id="math-mxss"),
    pytest.param('<math href="javascript:alert(1)">CLICK</math>', id="math-href"),
    pytest.param("<style>body{background:url(javascript:alert(1))}</style>", id="style-tag"),
    pytest.param('<p style="background:url(javascript:alert(1))">x</p>', id="style-attribute"),
    # Embedding, forms, document-level tags.
    pytest.param('<iframe src="javascript:alert(1)"></iframe>', id="iframe"),
    pytest.param('<iframe srcdoc="<script>alert(1)</script>"></iframe>', id="iframe-srcdoc"),
    pytest.param('<object data="javascript:alert(1)"></object>', id="object"),
    pytest.param('<embed src="javascript:alert(1)">', id="embed"),
    pytest.param(
        '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">go</button>'
        "</form>",
        id="form-formaction",
    ),
    pytest.param(
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', id="meta-refresh"
    ),
    pytest.param('<base href="javascript:alert(1)//">', id="base-href"),
    pytest.param('<link rel="stylesheet" href="https://evil.example/x.css">', id="link-tag"),
    pytest.param("<input autofocus onfocus=alert(1)>", id="input-autofocus"),
    # Markdown images.
    pytest.param("![x](javascript:alert(1))", id="image-js"),
    pytest.param("![](javascript:alert(1))", id="image-js-no-alt"),
    pytest.param("![x](https://example.org/a.png)", id="image-https"),
    pytest.param('![x](http://example.org/a.png "title")', id="image-http-title"),
    pytest.param("![](https://example.org/a.png)", id="image-no-alt"),
    pytest.param('![x](https://example.org/a.png" onerror="alert(1))', id="image-quote-in-url"),
    pytest.param("![x][img]\n\n[img]: https://example.org/a.png", id="image-reference"),
    pytest.param("![x](//evil.example/a.png)", id="image-protocol-relative"),
    pytest.param("[![x](https://example.org/a.png)](https://example.org/)", id="image-in-link"),
    pytest.param("![![y](https://a.example/b.png)](https://c.example/d.png)", id="image-in-image"),
    pytest.param("![<img src=x onerror=alert(1)>](https://example.org/a.png)", id="image-html-alt"),
    pytest.param("![[x](javascript:alert(1))](https://example.org/a.png)", id="image-js-alt"),
    # Link titles trying to break out of the attribute.
    pytest.param('[x](https://example.org "a\\" onmouseover=\\"alert(1)")', id="title-double"),
    pytest.param("[x](https://example.org 'a\\' onmouseover=\\'alert(1)')", id="title-single"),
    pytest.param('[x](https://example.org (a" onmouseover="alert(1)))', id="title-parens"),
    pytest.param(
        '[x](https://example.org "a&quot; onmouseover=&quot;alert(1)")', id="title-entities"
    ),
    pytest.param('[x][r]\n\n[r]: https://example.org "x\\" style=\\"color:red"', id="title-ref"),
    pytest.param('[x](https://example.org "</a><script>alert(1)</script>")', id="title-end-tag"),
    # Entities.
    pytest.param("&lt;script&gt;alert(1)&lt;/script&gt;", id="entities-named"),
    pytest.param("&#60;script&#62;alert(1)&#60;/script&#62;", id="entities-numeric"),
    pytest.param("&amp;lt;script&amp;gt;alert(1)", id="entities-double"),
    pytest.param("&#0;&#xD800;&#x110000;", id="entities-invalid-codepoints"),
    # Null bytes and odd Unicode.
    pytest.param("<scr\0ipt>alert(1)</script>", id="null-in-tag-name"),
    pytest.param("\0<script>alert(1)</script>\0", id="null-around-script"),
    pytest.param("[x](https://example.org/\u202egnp.exe)", id="rtl-override-in-url"),
    pytest.param("\u202e<script>alert(1)</script>", id="rtl-override-text"),
    pytest.param("<scr\u200dipt>alert(1)</script>", id="zero-width-joiner-in-tag"),
    pytest.param("\uff1cscript\uff1ealert(1)\uff1c/script\uff1e", id="fullwidth-angles"),
    # Tables.
    pytest.param(
        "| <script>alert(1)</script> | b |\n|---|---|\n"
        "| [x](javascript:alert(1)) | <img src=x onerror=alert(1)> |",
        id="table-cells",
    ),
    # Very long lines.
    pytest.param("A" * 100_000, id="long-plain-line"),
    pytest.param("<script>" * 5_000, id="long-script-repeat"),
    pytest.param("[x](javascript:alert(1))" * 2_000, id="long-js-links"),
    pytest.param("https://example.org/" + "a" * 20_000, id="long-url"),
    pytest.param("*" * 10_000 + "x", id="long-emphasis-run"),
    pytest.param("[" * 5_000 + "x" + "]" * 5_000, id="long-brackets"),
    pytest.param("> " * 3_000 + "<script>alert(1)</script>", id="deep-blockquote"),
]


@pytest.mark.parametrize("source", HOSTILE_INPUTS)
def test_hostile_input_renders_only_allowlisted_html(source):
    assert_safe(render_markdown(source))


def test_raw_html_is_shown_as_text():
    html = render_markdown("<b>hi</b>")
    assert "<b>hi</b>" in visible_text(html)
    assert tag_names(html) == ["p"]


def test_emphasis_and_strong():
    html = render_markdown("*soft* and **firm**")
    assert tag_names(html) == ["p", "em", "strong"]
    assert visible_text(html) == "soft and firm"


def test_lists():
    assert tag_names(render_markdown("- one\n- two")) == ["ul", "li", "li"]
    assert tag_names(render_markdown("1. one\n2. two")) == ["ol", "li", "li"]


def test_ordered_list_keeps_its_start():
    ol, *_ = parse(render_markdown("3. three\n4. four")).tags
    assert ol == ("ol", [("start", "3")])


def test_blockquote():
    html = render_markdown("> steady on")
    assert tag_names(html) == ["blockquote", "p"]
    assert visible_text(html).strip() == "steady on"


def test_fenced_code_block_keeps_code_as_text():
    html = render_markdown('```python\nprint("<b>")\n```')
    collector = parse(html)
    # markdown-it adds class="language-python", which bleach must drop.
    assert collector.tags == [("pre", []), ("code", [])]
    assert visible_text(html) == 'print("<b>")\n'


def test_indented_code_block():
    assert tag_names(render_markdown("    x = 1")) == ["pre", "code"]


def test_table():
    html = render_markdown("| drug | dose |\n|---|---|\n| tamoxifen | 20 mg |")
    assert tag_names(html) == ["table", "thead", "tr", "th", "th", "tbody", "tr", "td", "td"]
    assert "tamoxifen" in visible_text(html)


def test_strikethrough():
    html = render_markdown("~~gone~~")
    assert tag_names(html) == ["p", "s"]
    assert visible_text(html) == "gone"


def test_bare_https_url_becomes_link_with_rel():
    collector = parse(render_markdown("see https://example.org/help today"))
    assert ("a", [("href", "https://example.org/help"), ("rel", REL)]) in collector.tags


def test_markdown_link_gets_rel_and_keeps_title():
    collector = parse(render_markdown('[help](https://example.org/help "Help page")'))
    assert collector.tags[1] == (
        "a",
        [("href", "https://example.org/help"), ("title", "Help page"), ("rel", REL)],
    )


def headings(html: str) -> list[str]:
    return [name for name in tag_names(html) if re.fullmatch(r"h[1-6]", name)]


@pytest.mark.parametrize("source", ["# Heading", "## Heading", "#### Heading", "###### Heading"])
def test_a_posts_first_heading_sits_just_under_the_posts_own_h2(source):
    assert headings(render_markdown(source)) == ["h3"]


def test_a_guides_sections_are_h3_and_their_parts_h4():
    guide = "Opening words.\n\n## Three ways it can return\n\n### Locally\n\n## Talk about it here"
    assert headings(render_markdown(guide)) == ["h3", "h4", "h3"]


@pytest.mark.parametrize(
    ("source", "levels"),
    [
        # The levels an author skipped are closed up...
        ("## Before\n\n#### After", ["h3", "h4"]),
        ("# One\n\n### Three\n\n###### Six", ["h3", "h4", "h5"]),
        # ... and a deeper heading first never jumps past the one before it.
        ("#### Small\n\n## Big\n\n#### Small again", ["h3", "h3", "h4"]),
        ("## A\n\n## B\n\n#### C\n\n### D", ["h3", "h3", "h4", "h4"]),
        # Six levels typed: there is no h7, so the deepest share h6.
        ("# 1\n## 2\n### 3\n#### 4\n##### 5\n###### 6", ["h3", "h4", "h5", "h6", "h6", "h6"]),
    ],
)
def test_headings_never_skip_a_level_whatever_the_author_typed(source, levels):
    assert headings(render_markdown(source)) == levels
    assert headings(render_markdown(source, links=False)) == levels


def test_setext_headings_are_levelled_too():
    assert headings(render_markdown("Heading\n=======\n\nSmaller\n-------")) == ["h3", "h4"]


def test_a_page_of_its_own_starts_its_headings_at_h2():
    html = render_markdown("## 1. Check in\n\n## 2. Share the lines", top_heading=2)
    assert headings(html) == ["h2", "h2"]


def test_image_becomes_plain_link():
    html = render_markdown("![scan](https://example.org/a.png)")
    assert '<a href="https://example.org/a.png" rel="nofollow ugc noopener">scan</a>' in html
    assert "img" not in tag_names(html)


def test_image_with_non_http_source_keeps_only_its_label():
    html = render_markdown("![scan](data:image/png;base64,iVBORw0KGgo=)")
    assert tag_names(html) == ["p"]
    assert visible_text(html) == "scan"


def test_image_with_javascript_source_is_not_a_link():
    html = render_markdown("![scan](javascript:alert(1))")
    assert tag_names(html) == ["p"]


def test_rendering_is_deterministic():
    sources = [
        "# Title\n\n*a* **b** ~~c~~ https://example.org\n\n"
        "- x\n- y\n\n> q\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        '![scan](https://example.org/a.png) [l](https://example.org "t")',
        *(param.values[0] for param in HOSTILE_INPUTS),
    ]
    for source in sources:
        assert render_markdown(source) == render_markdown(source)


def test_linkless_text_keeps_every_address_visible_and_nothing_clickable():
    html = render_markdown(
        "See [my bank](https://evil.example/login), https://bare.example, "
        "<https://auto.example> and ![pic](https://img.example/x.png) @rosa",
        {"rosa"},
        links=False,
    )
    assert "<a" not in html
    assert "my bank (https://evil.example/login)" in html
    assert "https://bare.example" in html and "https://auto.example" in html
    assert "pic (https://img.example/x.png)" in html
    assert render_markdown("**kind** words", links=False) == "<p><strong>kind</strong> words</p>"
