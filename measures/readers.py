"""Turn an uploaded or stored policy document (txt, docx, pdf, html) into plain text.

This is the only module that touches file-format libraries. It uses no models or settings
(the caller passes the size limit in), only Django's translation: every failure is a `ReadError`
whose message is one line, "<file name>: <reason>", fit to show to the person who uploaded the
file. The reason is translated into the language active when the error is raised.
"""

from __future__ import annotations

import codecs
import io
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath

import charset_normalizer
import docx
import pdfplumber
from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.types import ProvidesStoryPart

__all__ = ["ReadError", "ReadResult", "format_for", "read_bytes", "read_document"]

MB = 1024 * 1024

FORMATS = {".txt": "txt", ".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html"}

# What a real plan needs, with room to spare: the longest plans seen run to a few hundred thousand
# characters, their Word XML to a few MB. Each limit is checked before the work it guards is
# done (declared sizes before inflating, the page count before extracting), so a file that
# would cost gigabytes is refused in milliseconds.
TEXT_MAX_CHARS = 2_000_000
DOCX_MAX_XML_BYTES = 16 * MB  # all XML parts together, as the zip declares them inflated
DOCX_MAX_MEMBERS = 2000
PDF_MAX_PAGES = 1000
HTML_MAX_DEPTH = 200

PDFTOTEXT_TIMEOUT_SECONDS = 60

# Reasons, kept together so callers and tests can rely on the wording. Lazy: ReadError
# translates them when it is created.
EMPTY = gettext_lazy("文件为空")
NOT_FOUND = gettext_lazy("文件不存在")
NOT_TEXT = gettext_lazy("不是文本文件")
UNKNOWN_ENCODING = gettext_lazy("无法识别文字编码")
CORRUPT = gettext_lazy("文件已损坏或无法解析")
NO_TEXT_LAYER = gettext_lazy("PDF 没有文字层(可能是扫描件),请先进行文字识别")
ENCRYPTED = gettext_lazy("PDF 已加密,请提供未加密的文件")


class ReadError(ValueError):
    """A file that cannot be turned into text. The message is one line, e.g. '政策.pdf: 文件为空'.
    A lazy reason is translated here, into the language active when the error is raised."""

    def __init__(self, name: str, reason: str | Promise | None = None) -> None:
        if reason is None:  # rebuilt from its message alone: pickle, Celery's result backend
            name, _sep, reason = name.rpartition(": ")
        reason = str(reason)
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class ReadResult:
    text: str  # normalised: NFC, \n line ends, no control characters but \n and \t, no BOM
    format: str  # "txt" | "docx" | "pdf" | "html"
    encoding: str | None  # txt/html: the encoding the bytes were decoded with


# ---------------------------------------------------------------------------------------------
# Entry points


def read_document(path: Path | str, *, max_bytes: int, name: str | None = None) -> ReadResult:
    """Read a file on disk. `name` is the name to report and dispatch on (an upload's original
    name when the stored path is a random one); it defaults to the path's file name."""
    path = Path(path)
    name = name or path.name
    fmt = format_for(name)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ReadError(name, NOT_FOUND)
        # Refuse before reading anything: the limit protects memory as much as time.
        _check_size(name, size, max_bytes)
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)  # +1: the file may have grown since stat()
    except FileNotFoundError:
        raise ReadError(name, NOT_FOUND) from None
    except PermissionError:
        raise ReadError(name, _("无法读取文件(没有权限)")) from None
    except OSError as exc:
        raise ReadError(name, _("无法读取文件(%(error)s)") % {"error": exc.strerror or type(exc).__name__}) from None
    _check_size(name, max(size, len(data)), max_bytes)
    return _read(data, name=name, fmt=fmt, max_bytes=max_bytes)


def read_bytes(data: bytes, *, name: str, max_bytes: int) -> ReadResult:
    """Read an upload held in memory, dispatching on the name's extension and checking the
    content's magic bytes agree with it."""
    fmt = format_for(name)
    _check_size(name, len(data), max_bytes)
    return _read(bytes(data), name=name, fmt=fmt, max_bytes=max_bytes)


def _read(data: bytes, *, name: str, fmt: str, max_bytes: int) -> ReadResult:
    if not data.strip():
        raise ReadError(name, EMPTY)
    _check_magic(data, name=name, fmt=fmt)
    readers: dict[str, Callable[[bytes, str, int], tuple[str, str | None]]] = {
        "txt": _read_txt,
        "docx": _read_docx,
        "pdf": _read_pdf,
        "html": _read_html,
    }
    try:
        raw, encoding = readers[fmt](data, name, max_bytes)
    except ReadError:
        raise
    except RecursionError:  # absurdly nested markup
        raise ReadError(name, CORRUPT) from None
    _check_chars(name, len(raw))
    text = _normalise(raw)
    if fmt in ("txt", "pdf"):
        text = _unwrap_hard_breaks(text)
    if fmt in ("txt", "html"):
        text = _strip_trailing_page_chrome(text)
    if not text.strip():
        raise ReadError(name, NO_TEXT_LAYER if fmt == "pdf" else EMPTY)
    return ReadResult(text=text, format=fmt, encoding=encoding)


# ---------------------------------------------------------------------------------------------
# Dispatch and guards


def format_for(name: str) -> str:
    """The reader a file name dispatches to; ReadError for a type no reader takes."""
    suffix = PurePath(name).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    if not suffix:
        raise ReadError(name, _("不支持的文件类型(没有扩展名,支持 .txt .docx .pdf .html)"))
    if suffix in (".doc", ".wps"):
        reason = _("不支持的文件类型 %(suffix)s(支持 .txt .docx .pdf .html;请另存为 .docx)")
    else:
        reason = _("不支持的文件类型 %(suffix)s(支持 .txt .docx .pdf .html)")
    raise ReadError(name, reason % {"suffix": suffix})


def _check_chars(name: str, count: int) -> None:
    if count > TEXT_MAX_CHARS:
        reason = _("文字过多(超过 %(limit)s 万字的上限),不像是一份实施方案") % {"limit": TEXT_MAX_CHARS // 10_000}
        raise ReadError(name, reason)


def _check_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        reason = _("文件过大(%(size).1f MB,上限 %(limit)s MB)") % {"size": size / MB, "limit": f"{max_bytes / MB:.3g}"}
        raise ReadError(name, reason)


# Signatures of things people upload by mistake. Checked against text uploads and used to say
# what a mismatched file really is. Kinds are internal keys; _KIND_LABELS names them for people.
_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # .doc/.xls/.wps before Office 2007
    (b"{\\rtf", "rtf"),
    (b"\x7fELF", "elf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
]
_KIND_LABELS = {
    "pdf": gettext_lazy("PDF 文件"),
    "zip": gettext_lazy("ZIP 压缩包"),
    "ole": gettext_lazy("旧版 Office 文档(.doc/.xls/.wps)"),
    "rtf": gettext_lazy("RTF 文档"),
    "elf": gettext_lazy("可执行程序"),
    "png": gettext_lazy("PNG 图片"),
    "jpeg": gettext_lazy("JPEG 图片"),
    "gif": gettext_lazy("GIF 图片"),
    "rar": gettext_lazy("RAR 压缩包"),
    "7z": gettext_lazy("7z 压缩包"),
    "gzip": gettext_lazy("gzip 压缩包"),
    "docx": gettext_lazy("Word 文档(.docx)"),
    "xlsx": gettext_lazy("Excel 表格(.xlsx)"),
    "pptx": gettext_lazy("PowerPoint 演示文稿(.pptx)"),
}


def _sniff(data: bytes) -> str | None:
    """The kind of content by its first bytes (a _KIND_LABELS key), or None when nothing is
    recognised."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return _describe_zip(data) if kind == "zip" else kind
    return None


def _describe_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except Exception:
        return "zip"
    if "word/document.xml" in names:
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if any(n.startswith("ppt/") for n in names):
        return "pptx"
    return "zip"


def _mismatch(name: str, kind: str | None) -> ReadError:
    suffix = PurePath(name).suffix
    if kind is None:
        return ReadError(name, _("文件内容与类型不符(扩展名为 %(suffix)s)") % {"suffix": suffix})
    if kind == "ole":
        template = _("文件内容与类型不符(扩展名为 %(suffix)s,实际是%(actual)s,请另存为 .docx)")
    else:
        template = _("文件内容与类型不符(扩展名为 %(suffix)s,实际是%(actual)s)")
    actual = str(_KIND_LABELS[kind])
    # Chinese typesetting: a space between a Chinese character and a following Latin word
    # ("实际是 PDF 文件"). The translated template decides, so other languages are left alone.
    before = template.partition("%(actual)s")[0][-1:]
    if before and not before.isascii() and actual[:1].isascii():
        actual = " " + actual
    return ReadError(name, template % {"suffix": suffix, "actual": actual})


def _check_magic(data: bytes, *, name: str, fmt: str) -> None:
    kind = _sniff(data)
    if fmt in ("txt", "html"):
        if kind is not None:
            raise _mismatch(name, kind)
    elif fmt == "pdf":
        # The PDF spec lets readers accept junk before the header within the first 1024 bytes.
        if b"%PDF-" not in data[:1024]:
            raise _mismatch(name, kind)
    elif fmt == "docx":
        if kind is not None and kind not in ("docx", "zip"):
            raise _mismatch(name, kind)
        if kind == "zip" and _is_intact_zip(data):
            raise _mismatch(name, kind)  # a real zip, but not a Word document
        # Unrecognisable bytes or a broken zip are reported as a damaged file by _read_docx.


def _is_intact_zip(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)):
            return True
    except Exception:
        return False


# ---------------------------------------------------------------------------------------------
# Plain text


# Bytes that never occur in text in any encoding we accept (GBK trail bytes are >= 0x40).
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def _read_txt(data: bytes, name: str, max_bytes: int) -> tuple[str, str | None]:
    return _decode(data, name)


def _decode(data: bytes, name: str, declared: str | None = None) -> tuple[str, str]:
    """Decode text bytes: a BOM wins; then the declared charset (html); then strict UTF-8, then
    strict GB18030 (a superset of GB2312/GBK, what Chinese government files use); then
    charset-normalizer as a last resort."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _try_decode(data, encoding)
            if text is None:
                raise ReadError(name, UNKNOWN_ENCODING)
            return _checked_text(text, name), encoding.removesuffix("-sig")
    if _looks_binary(data):
        text = _decode_utf16_without_bom(data)
        if text is None:
            raise ReadError(name, NOT_TEXT)
        return _checked_text(text[0], name), text[1]
    candidates = ["utf-8", "gb18030"]
    if declared:
        # Chinese pages are often labelled iso-8859-1/windows-1252 by a misconfigured server, and
        # those decode any bytes: such a label only counts after UTF-8 and GB18030 have failed.
        candidates.insert(len(candidates) if declared in _SINGLE_BYTE_WESTERN else 0, declared)
    for encoding in candidates:
        text = _try_decode(data, encoding)
        if text is not None:
            return _checked_text(text, name), encoding
    guess = charset_normalizer.from_bytes(data).best()
    if guess is None:
        raise ReadError(name, UNKNOWN_ENCODING)
    return _checked_text(str(guess), name), guess.encoding


_SINGLE_BYTE_WESTERN = {"iso8859-1", "cp1252", "ascii"}


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_binary(data: bytes) -> bool:
    sample = data[: 64 * 1024]
    return b"\x00" in sample or len(_CONTROL_BYTES.findall(sample)) > len(sample) * 0.05


def _decode_utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """NUL bytes mean binary, unless the file is UTF-16 that lost its BOM (Windows tools do
    that). Accept it only if it reads as Chinese/ASCII text, so junk is not let through."""
    for encoding in ("utf-16-le", "utf-16-be"):
        text = _try_decode(data, encoding)
        if text and _share_of_usual_chars(text) >= 0.9:
            return text, encoding
    return None


def _share_of_usual_chars(text: str) -> float:
    usual = sum(
        1
        for ch in text
        if (ch.isascii() and (ch.isprintable() or ch in "\t\n\r"))
        or "\u4e00" <= ch <= "\u9fff"  # CJK unified ideographs
        or "\u3000" <= ch <= "\u303f"  # CJK punctuation
        or "\uff00" <= ch <= "\uffef"  # full-width forms
        or "\u2000" <= ch <= "\u206f"  # general punctuation (“ ” — …)
    )
    return usual / len(text)


def _checked_text(text: str, name: str) -> str:
    """Text that decoded but is mostly replacement or control characters is not text."""
    if not text:
        return text
    junk = sum(1 for ch in text if ch == "\ufffd" or _is_junk_char(ch))
    if junk > len(text) * 0.25:
        raise ReadError(name, NOT_TEXT)
    return text


def _is_junk_char(ch: str) -> bool:
    if ch in "\t\n\r\f\v":
        return False
    return unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")


# ---------------------------------------------------------------------------------------------
# Word (.docx)


def _read_docx(data: bytes, name: str, max_bytes: int) -> tuple[str, str | None]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
            names = {m.filename for m in members}
    except Exception:
        raise ReadError(name, CORRUPT) from None
    # zipfile never inflates a member past its declared size (it fails the read instead), so the
    # declared sizes bound what python-docx can make us parse. Media (images) are never inflated.
    xml = sum(m.file_size for m in members if m.filename.endswith((".xml", ".rels")))
    if len(members) > DOCX_MAX_MEMBERS:
        reason = _("压缩包内文件过多(%(count)d 个,上限 %(limit)d 个),疑似压缩炸弹") % {
            "count": len(members),
            "limit": DOCX_MAX_MEMBERS,
        }
        raise ReadError(name, reason)
    if xml > DOCX_MAX_XML_BYTES:
        reason = _("解压后文字内容过大(%(size).1f MB,上限 %(limit)d MB),疑似压缩炸弹") % {
            "size": xml / MB,
            "limit": DOCX_MAX_XML_BYTES // MB,
        }
        raise ReadError(name, reason)
    if "word/document.xml" not in names:
        raise _mismatch(name, _describe_zip(data))
    try:
        document = docx.Document(io.BytesIO(data))
        lines = list(_docx_lines(document.element.body, document))
    except ReadError:
        raise
    except Exception:
        raise ReadError(name, CORRUPT) from None
    return "\n".join(lines), None


def _docx_lines(container: BaseOxmlElement, parent: ProvidesStoryPart) -> Iterator[str]:
    """Paragraphs and tables in document order. A table row becomes one line with its cells
    joined by a tab, so a task-division table stays one task per line."""
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, parent).text
        elif child.tag == qn("w:tbl"):
            yield from _docx_table_lines(Table(child, parent))
        elif child.tag == qn("w:sdt"):  # content controls wrap ordinary paragraphs and tables
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _docx_lines(content, parent)


def _docx_table_lines(table: Table) -> Iterator[str]:
    for row in table.rows:
        cells = []
        seen = set()
        for cell in row.cells:
            # A horizontally merged cell is returned once per grid column: keep it once.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            # A cell's own paragraphs (and nested tables) are flattened so the row stays a line.
            cells.append(" ".join(s for line in _docx_lines(cell._tc, cell) if (s := line.strip())))
        if any(cells):
            yield "\t".join(cells)


# ---------------------------------------------------------------------------------------------
# PDF


def _read_pdf(data: bytes, name: str, max_bytes: int) -> tuple[str, str | None]:
    # A PDF ends with %%EOF (readers allow junk after it within 1024 bytes). Without it the
    # upload was cut short, and pdfminer would happily return the first half of the text.
    if b"%%EOF" not in data[-1024:]:
        raise ReadError(name, _("文件已损坏或无法解析(文件不完整)"))
    text, failure = _pdf_text_pdfplumber(data, name)
    if not text.strip():
        fallback = _pdf_text_pdftotext(data)
        if fallback is not None and fallback.strip():
            return fallback, None
        if failure is not None:
            raise ReadError(name, failure)
        raise ReadError(name, NO_TEXT_LAYER)
    return text, None


def _pdf_text_pdfplumber(data: bytes, name: str) -> tuple[str, Promise | None]:
    """The text page by page, and the (lazy) reason it failed (None when it did not)."""
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > PDF_MAX_PAGES:
                raise ReadError(
                    name, _("页数过多(%(n)d 页,上限 %(limit)d 页)") % {"n": len(pdf.pages), "limit": PDF_MAX_PAGES}
                )
            pages, chars = [], 0
            for page in pdf.pages:
                pages.append(page.extract_text() or "")
                chars += len(pages[-1])
                _check_chars(name, chars)  # stop extracting as soon as the text is too long
    except ReadError:
        raise
    except Exception as exc:
        if "Password" in type(exc).__name__ or "Encrypt" in type(exc).__name__:
            return "", ENCRYPTED
        return "", CORRUPT
    return "\n".join(pages), None


def _pdf_text_pdftotext(data: bytes) -> str | None:
    """poppler's pdftotext copes with some files pdfminer does not. Optional: None when it is
    not installed or fails."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(data)
        try:
            done = subprocess.run(
                [exe, "-enc", "UTF-8", "-q", str(src), "-"],
                capture_output=True,
                timeout=PDFTOTEXT_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------------------------
# HTML saved from a government site

_DROP_TAGS = [
    "script", "style", "noscript", "iframe", "select", "button", "template", "object", "embed",
    "input", "textarea", "option", "svg", "canvas", "head",
]  # fmt: skip
_CHROME_TAGS = {"nav", "header", "footer", "form", "aside"}
_CHROME_ATTR = re.compile(
    r"nav|menu|breadcrumb|crumb|footer|header|sidebar|share|login|search|comment|feedback",
    re.IGNORECASE,
)
_CONTENT_ATTR = re.compile(r"content|conent|article|detail|zoom|main|trs_?editor|zhengwen|wenzhang", re.I)
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "ul",
    "caption", "title", "body", "html",
}  # fmt: skip
_CJK = re.compile(r"[\u3400-\u9fff]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
# A run of text at least this long, outside links, is prose: menus and footers are made of
# short link texts, a policy of sentences.
_PROSE_MIN_CHARS = 20


def _read_html(data: bytes, name: str, max_bytes: int) -> tuple[str, str | None]:
    text, encoding = _decode(data, name, declared=_declared_charset(data))
    try:
        soup = BeautifulSoup(text, "lxml")
    except Exception:
        raise ReadError(name, CORRUPT) from None
    root = soup.body or soup
    _check_depth(root, name)
    for tag in root.find_all(_DROP_TAGS):
        tag.decompose()
    for comment in root.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    _drop_page_chrome(root)
    main = _dominant_content(root)
    if main is None:
        return _render_block(root), encoding
    heading = _heading_before(main)
    body = _render_block(main)
    return (f"{heading}\n{body}" if heading else body), encoding


def _check_depth(root: Tag, name: str) -> None:
    """Rendering walks the tree recursively: refuse nesting no page needs before it starts."""
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > HTML_MAX_DEPTH:
            raise ReadError(name, _("网页结构嵌套过深(超过 %(limit)d 层)") % {"limit": HTML_MAX_DEPTH})
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tag))


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    try:
        encoding = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    # Pages labelled gb2312/gbk routinely contain characters only GB18030 has.
    return "gb18030" if encoding in ("gb2312", "gbk") else encoding


def _prose_weight(node: Tag) -> int:
    weight = 0
    for s in node.find_all(string=True):
        if isinstance(s, Comment) or s.find_parent("a") is not None:
            continue
        chunk = s.strip()
        if len(chunk) >= _PROSE_MIN_CHARS:
            weight += len(_CJK.findall(chunk)) or len(chunk) // 4
    return weight


def _chrome_kind(tag: Tag) -> str | None:
    """'header', 'other' or None: whether the element is navigation, footer, forms etc."""
    attrs = " ".join([*tag.get("class", []), tag.get("id", "") or ""])
    if tag.name in _CHROME_TAGS:
        return "header" if tag.name == "header" else "other"
    match = _CHROME_ATTR.search(attrs)
    if match:
        return "header" if match.group(0).lower() == "header" else "other"
    return None


def _drop_page_chrome(root: Tag) -> None:
    """Remove navigation, breadcrumbs, share bars, footers and comment forms, but never an element
    that holds most of the page's prose: some sites wrap the whole page in a <form> or give the
    article container a class like 'header'."""
    total = _prose_weight(root)
    for tag in root.find_all(_chrome_kind):
        if tag.decomposed or tag is root:
            continue
        if total and _prose_weight(tag) * 2 >= total:
            continue
        # An "article-header" often holds the policy title: keep headers with a heading.
        if _chrome_kind(tag) == "header" and tag.find(["h1", "h2", "h3"]) is not None:
            continue
        tag.decompose()


def _dominant_content(root: Tag) -> Tag | None:
    """The innermost article/main/content-like element holding at least 90% of the prose, or
    None. The threshold is high on purpose: cropping may drop link lists and widgets, never
    paragraphs of the policy."""
    total = _prose_weight(root)
    if not total:
        return None
    best: Tag | None = None
    for tag in root.find_all(_is_content_candidate):
        if _prose_weight(tag) >= total * 0.9:
            best = tag  # find_all walks outer before inner: the last hit is the innermost
    return best


def _is_content_candidate(tag: Tag) -> bool:
    if tag.name in ("article", "main"):
        return True
    if tag.name not in ("div", "section", "td", "span"):
        return False
    attrs = " ".join([*tag.get("class", []), tag.get("id", "") or ""])
    return bool(_CONTENT_ATTR.search(attrs))


def _heading_before(main: Tag) -> str:
    """The policy title usually sits just above the content container: keep it."""
    if main.find(["h1", "h2"]) is not None:
        return ""  # the container has its own title
    for tag in main.find_all_previous(["h1", "h2", "h3"]):
        text = " ".join(tag.get_text(" ").split())
        if _CJK.search(text):
            return text
    return ""


_SPACES = re.compile(r"[^\S\t]+")
_SPACE_CHARS = " \u00a0\u3000\u2002\u2003\u2009\u200b"


def _render_block(node: Tag) -> str:
    """Text of an element with block elements and <br> as line breaks and tables row per line."""
    parts: list[str] = []
    _render_into(node, parts, pre=node.name == "pre")
    # Collapse spaces (U+3000 indentation included) but keep the tabs that separate table cells.
    lines = (_SPACES.sub(" ", line).strip(_SPACE_CHARS) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line.strip())


def _render_into(node: Tag, parts: list[str], *, pre: bool) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # skip doctype, CDATA, processing instructions
                parts.append(str(child) if pre else _collapse_whitespace(str(child)))
        elif not isinstance(child, Tag):
            continue
        elif child.name == "br":
            parts.append("\n")
        elif child.name == "table":
            parts.append("\n" + "\n".join(_table_lines(child)) + "\n")
        elif child.name in _BLOCK_TAGS or child.name in ("tr", "td", "th"):
            parts.append("\n")
            _render_into(child, parts, pre=pre or child.name == "pre")
            parts.append("\n")
        else:
            _render_into(child, parts, pre=pre)


_CJK_OR_PUNCT = "[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]"
_NEWLINE_BETWEEN_CJK = re.compile(rf"(?<={_CJK_OR_PUNCT})\s*\n\s*(?={_CJK_OR_PUNCT})")


def _looks_like_page_text(cell_text: str) -> bool:
    """Several paragraphs, or many lines, in one cell: a page laid out with a table, not a row of
    data. (A task cell with one or two paragraphs still counts as data.)"""
    lines = cell_text.split("\n")
    return len(lines) >= 8 or sum(len(line) >= _PROSE_MIN_CHARS for line in lines) >= 3


def _collapse_whitespace(s: str) -> str:
    # A source line break between two Chinese characters is editor wrapping, not a space.
    s = _NEWLINE_BETWEEN_CJK.sub("", s)
    return re.sub(r"[ \t\r\n\f]+", " ", s)


def _table_lines(table: Tag) -> Iterator[str]:
    """A data table comes out one row per line, cells joined by a tab. Old sites lay whole pages
    out with tables: a row whose cells hold nested tables or many lines is rendered as blocks."""
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        cells = tr.find_all(["td", "th"], recursive=False)
        rendered = [_render_block(cell) for cell in cells]
        is_layout = (
            len(cells) < 2
            or any(cell.find(["table", "h1", "h2", "h3", "h4"]) is not None for cell in cells)
            or any(_looks_like_page_text(text) for text in rendered)
        )
        if is_layout:
            yield from (text for text in rendered if text)
        elif any(rendered):
            yield "\t".join(text.replace("\n", " ") for text in rendered)


# ---------------------------------------------------------------------------------------------
# Normalising


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# PDF text layers spell some characters with radicals (⼀ for 一, ⾰ for 革, ⻝ for 食). NFKC folds the
# Kangxi radicals; the supplement's radicals that stand for a whole character get it here.
_RADICALS = {
    cp: folded
    for cp in (*range(0x2E80, 0x2EF4), *range(0x2F00, 0x2FD6))
    if len(folded := unicodedata.normalize("NFKC", chr(cp))) == 1 and folded != chr(cp)
} | {
    ord(radical): character
    for radical, character in zip(
        "⺠⻄⻅⻆⻉⻋⻓⻔⻘⻚⻛⻜⻝⻢⻣⻤⻥⻦⻧⻨⻩⻬⻮⻰⻱",
        "民西见角贝车长门青页风飞食马骨鬼鱼鸟卤麦黄齐齿龙龟",
        strict=True,
    )
}
# A line this long or longer, in a text where most lines are, ends where the page did, not the
# paragraph: its break is the PDF's, and the list or name it cut goes on on the next line.
_WRAP_MIN_WIDTH = 20
_HEADING_START_RE = re.compile(
    r"\s|[一二三四五六七八九十]{1,3}\s*[、.]|[((]|\d{1,3}\s*[.、.]|第[一二三四五六七八九十百]+[章条节部]|附\s*件"
)


def _unwrap_hard_breaks(text: str) -> str:
    """Join the lines of a hard-wrapped text (a PDF's text layer, text copied out of one): a line
    at the wrap width continues on the next, unless the next opens a heading or an indented paragraph."""
    lines = text.split("\n")
    lengths = [len(line) for line in lines if len(line) >= _WRAP_MIN_WIDTH]
    if len(lengths) < 10:
        return text
    width = max(set(lengths), key=lengths.count)
    at_width = sum(1 for n in lengths if width - 1 <= n <= width)
    if at_width < 0.5 * len(lengths) or at_width < 10:
        return text
    out = [lines[0]]
    for line in lines[1:]:
        prev = out[-1]
        if len(prev) >= width - 1 and line and not _HEADING_START_RE.match(line):
            out[-1] = prev + line
        else:
            out.append(line)
    return "\n".join(out)


def _normalise(text: str) -> str:
    text = text.replace("\ufeff", "")
    text = text.translate(_RADICALS)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Page breaks (pdftotext) and Unicode line separators are line breaks too.
    text = re.sub("[\f\v\u2028\u2029\x85]", "\n", text)
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL_CHARS.sub("", text)
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


# Web-page labels that a saved page carries after the policy: a comment form, print/close links.
# Only label-only lines at the very end go; a line with a value ("联系电话:022-…") is kept,
# since a notice's own contact line is part of the notice.
_PAGE_CHROME_LABELS = re.compile(
    r"联系电话|传真|电子邮箱|发表意见|姓名|意见内容|打印本页|关闭窗口|退出登录|退出登陆|提交|重置|验证码"
)
_LABEL_PUNCTUATION = re.compile(r"[\s::【】\[\]()()|/·*\-]+")


def _strip_trailing_page_chrome(text: str) -> str:
    lines = text.split("\n")
    while lines and _is_chrome_line(lines[-1]):
        lines.pop()
    return "\n".join(lines).rstrip("\n")


def _is_chrome_line(line: str) -> bool:
    if not line.strip():
        return True
    rest = _PAGE_CHROME_LABELS.sub("", line)
    return rest != line and not _LABEL_PUNCTUATION.sub("", rest)
