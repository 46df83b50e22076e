"""measures.readers: every supported format reads to text, every bad file to a one-line ReadError.

Pure Python, no database. The sample files under fixtures/formats were generated once (a
python-docx document, a hand-written PDF with a CJK text layer, text in several encodings and a
government-style web page).
"""

import io
import pickle
import random
import stat
import unicodedata
import zipfile
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from measures import readers
from measures.readers import ReadError, ReadResult, read_bytes, read_document

FORMATS_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "formats"
MB = 1024 * 1024
LIMIT = 20 * MB

TITLE = "关于促进消费扩容提质的若干措施"
MEASURES = [
    "一、加快培育新型消费。支持实体零售企业数字化转型,发展直播电商。(责任单位:市商务局、市工信局)",
    "二、扩大汽车消费。开展汽车下乡活动,落实新能源汽车购置补贴。(责任单位:市商务局、市发展改革委)",
    "三、提升夜间经济。打造3个夜间消费集聚区,2024年底前完成。(责任单位:市商务局、市文旅局)",
]
TABLE_ROWS = [
    "序号\t任务\t牵头单位\t配合单位\t完成时限",
    "1\t培育新型消费\t市商务局\t市工信局\t2024年6月底",
    "2\t扩大汽车消费\t市商务局\t市发展改革委、市财政局\t2024年9月底",
    "3\t提升夜间经济\t市文旅局\t市商务局、各区政府\t2024年12月底",
]
CLOSING = "各单位要加强组织领导,确保各项措施落地见效。"


def fixture_bytes(name: str) -> bytes:
    return (FORMATS_DIR / name).read_bytes()


def read_error(data: bytes, name: str, max_bytes: int = LIMIT) -> ReadError:
    with pytest.raises(ReadError) as info:
        read_bytes(data, name=name, max_bytes=max_bytes)
    message = str(info.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message
    return info.value


def assert_in_order(text: str, expected: list[str]) -> None:
    lines = text.split("\n")
    positions = [lines.index(line) for line in expected]  # ValueError names a missing line
    assert positions == sorted(positions)


# ---------------------------------------------------------------------------------------------
# Formats


def test_docx_paragraphs_and_table_rows_in_document_order():
    result = read_document(FORMATS_DIR / "measures.docx", max_bytes=LIMIT)

    assert result.format == "docx"
    assert result.encoding is None
    assert_in_order(result.text, [TITLE, *MEASURES, "附件:任务分工表", *TABLE_ROWS, CLOSING])


def test_pdf_text_layer_is_read_page_text():
    result = read_document(FORMATS_DIR / "measures.pdf", max_bytes=LIMIT)

    assert result.format == "pdf"
    assert result.text.split("\n")[0] == TITLE
    # A PDF wraps long lines wherever the page ends; the words survive, the line breaks do not.
    joined = result.text.replace("\n", "")
    for line in [*MEASURES, CLOSING]:
        assert line in joined


@pytest.mark.parametrize(
    ("file_name", "encoding"),
    [("measures_gbk.txt", "gb18030"), ("measures_utf8_bom.txt", "utf-8"), ("measures_utf16.txt", "utf-16")],
)
def test_txt_encodings(file_name, encoding):
    result = read_document(FORMATS_DIR / file_name, max_bytes=LIMIT)

    assert result.format == "txt"
    assert result.encoding == encoding
    assert result.text.split("\n") == [TITLE, *MEASURES, CLOSING]


def test_txt_utf16_without_bom():
    data = "\n".join([TITLE, *MEASURES]).encode("utf-16-le")

    result = read_bytes(data, name="无BOM.txt", max_bytes=LIMIT)

    assert result.text.split("\n") == [TITLE, *MEASURES]


def test_txt_is_normalised():
    data = "\ufeff第一行  \r\n第二行\x07\tcafe\u0301\r第三行\x00\n\n".encode()

    text = read_bytes(data.replace(b"\x00", b""), name="a.txt", max_bytes=LIMIT).text

    assert text == "第一行\n第二行\tcafé\n第三行"


def test_txt_saved_web_page_loses_trailing_comment_form_but_keeps_its_contact_line():
    text = read_document(FORMATS_DIR / "webpage_saved.txt", max_bytes=LIMIT).text

    assert text.split("\n")[-1].strip() == MEASURES[-1]
    assert "(联系电话:022-83608050;" in text  # part of the notice, not page chrome
    assert "意见内容" not in text
    assert "发表意见" not in text


def test_html_government_page_keeps_the_policy_and_drops_the_chrome():
    result = read_document(FORMATS_DIR / "policy_page.html", max_bytes=LIMIT)

    assert result.format == "html"
    assert result.encoding == "gb18030"  # declared gb2312, read as its superset
    assert_in_order(result.text, [TITLE, "各区人民政府,市政府各部门:", *MEASURES, *TABLE_ROWS, CLOSING])
    assert result.text.split("\n")[-1] == "2024年3月1日"
    for chrome in [
        "首页", "政务公开", "当前位置", "分享到", "微博", "打印本页", "关闭窗口", "我要评论", "姓名",
        "意见内容", "主办单位", "网站标识码", "热点专题", "请输入关键词", "统计代码", "门户网站",
    ]:  # fmt: skip
        assert chrome not in result.text, chrome


def page(body: str, head: str = '<meta charset="utf-8">') -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


PARAGRAPHS = "".join(f"<p>{m}</p>" for m in MEASURES)
NAV = '<div id="topnav"><a>首页</a><a>政务公开</a><a>互动交流</a></div>'
FOOTER = "<footer>主办单位:某市人民政府办公厅 联系电话:010-1234567</footer>"


def test_html_page_wrapped_in_one_form_keeps_its_body():
    # ASP.NET sites wrap the whole page in <form id="form1">: it must not be dropped as a form.
    data = page(f'<form id="form1" method="post">{NAV}<div>{PARAGRAPHS}</div>{FOOTER}</form>')

    text = read_bytes(data, name="a.html", max_bytes=LIMIT).text

    assert text.split("\n") == MEASURES


def test_html_layout_table_is_not_flattened_into_one_row():
    data = page(
        '<table><tr><td class="left"><a>机构设置</a><br><a>政策文件</a></td>'
        f"<td><h2>{TITLE}</h2>{PARAGRAPHS}<p>{CLOSING}</p></td></tr></table>"
    )

    text = read_bytes(data, name="a.html", max_bytes=LIMIT).text

    assert_in_order(text, [TITLE, *MEASURES, CLOSING])


def test_html_without_a_content_container_keeps_everything_but_the_chrome():
    data = page(f"{NAV}<h1>{TITLE}</h1>{PARAGRAPHS}<div class='share'>分享到:微信</div>{FOOTER}")

    text = read_bytes(data, name="a.htm", max_bytes=LIMIT).text

    assert text.split("\n") == [TITLE, *MEASURES]


def test_html_source_line_breaks_inside_chinese_are_not_spaces():
    data = page("<p>支持实体零售企业\n    数字化转型</p><p>Hello\nworld</p>")

    assert read_bytes(data, name="a.html", max_bytes=LIMIT).text == "支持实体零售企业数字化转型\nHello world"


def test_html_mislabelled_charset_falls_back():
    body = f"<p>{MEASURES[0]}</p>"
    data = page(body, head='<meta charset="utf-8">').replace(body.encode(), body.encode("gbk"))

    result = read_bytes(data, name="a.html", max_bytes=LIMIT)

    assert result.text == MEASURES[0]
    assert result.encoding == "gb18030"


def test_html_labelled_latin1_by_a_misconfigured_server_is_still_read_as_chinese():
    body = f"<p>{MEASURES[0]}</p>".encode("gbk")
    data = b'<html><head><meta charset="iso-8859-1"></head><body>' + body + b"</body></html>"

    assert read_bytes(data, name="a.html", max_bytes=LIMIT).text == MEASURES[0]


def test_extension_is_case_insensitive_and_name_overrides_path(tmp_path):
    stored = tmp_path / "upload-7f3a"
    stored.write_bytes(fixture_bytes("measures_gbk.txt"))

    result = read_document(stored, max_bytes=LIMIT, name="通知.TXT")

    assert result.text.startswith(TITLE)


def test_pdftotext_is_the_fallback_when_pdfplumber_fails(tmp_path, monkeypatch):
    fake = tmp_path / "pdftotext"
    fake.write_text("#!/bin/sh\nprintf '第一页\\f第二页\\n'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(readers, "_pdf_text_pdfplumber", lambda data, name: ("", readers.CORRUPT))

    result = read_bytes(fixture_bytes("measures.pdf"), name="a.pdf", max_bytes=LIMIT)

    assert result.text == "第一页\n第二页"


# ---------------------------------------------------------------------------------------------
# Bad input


def test_read_error_survives_pickling():
    error = pickle.loads(pickle.dumps(ReadError("政策: 第一版.pdf", "文件为空")))

    assert (str(error), error.name, error.reason) == ("政策: 第一版.pdf: 文件为空", "政策: 第一版.pdf", "文件为空")


def test_missing_file():
    with pytest.raises(ReadError, match=r"^不存在\.txt: 文件不存在$"):
        read_document("/nonexistent/不存在.txt", max_bytes=LIMIT)


def test_directory_is_not_a_file(tmp_path):
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    with pytest.raises(ReadError, match="文件不存在"):
        read_document(folder, max_bytes=LIMIT)


@pytest.mark.parametrize("name", ["政策.txt", "政策.docx", "政策.pdf", "政策.html"])
def test_empty_file(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(ReadError) as info:
        read_document(tmp_path / name, max_bytes=LIMIT)
    assert str(info.value) == f"{name}: 文件为空"


def test_reason_is_in_the_language_active_when_raised(tmp_path):
    (tmp_path / "policy.txt").write_bytes(b"")
    with translation.override("en"), pytest.raises(ReadError) as info:
        read_document(tmp_path / "policy.txt", max_bytes=LIMIT)
    assert str(info.value) == "policy.txt: The file is empty"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b" \r\n\t \n", "空白.txt"),
        ("\u3000\u3000\n".encode("utf-16"), "空白.txt"),
        (b"<html><body><script>x=1</script><div class='nav'>\xe9\xa6\x96\xe9\xa1\xb5</div></body></html>", "空.html"),
        ("\n\n姓名\n联系电话\n意见内容\n".encode(), "表单.txt"),
    ],
)
def test_whitespace_only_is_empty(data, name):
    assert read_error(data, name).reason == "文件为空"


def test_oversized_file_is_refused_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "大文件.pdf"
    with big.open("wb") as f:
        f.truncate(50 * MB)  # sparse: costs no disk

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    with pytest.raises(ReadError) as info:
        read_document(big, max_bytes=20 * MB)
    assert str(info.value) == "大文件.pdf: 文件过大（50.0 MB，上限 20 MB）"


def test_oversized_bytes():
    assert read_error(b"a" * 101, "a.txt", max_bytes=100).reason.startswith("文件过大")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("report.xlsx", "report.xlsx: 不支持的文件类型 .xlsx（支持 .txt .docx .pdf .html）"),
        ("setup.EXE", "setup.EXE: 不支持的文件类型 .exe（支持 .txt .docx .pdf .html）"),
        ("README", "README: 不支持的文件类型（没有扩展名，支持 .txt .docx .pdf .html）"),
        ("old.doc", "old.doc: 不支持的文件类型 .doc（支持 .txt .docx .pdf .html；请另存为 .docx）"),
    ],
)
def test_unknown_extension(name, message):
    with pytest.raises(ReadError) as info:
        read_bytes(b"anything", name=name, max_bytes=LIMIT)
    assert str(info.value) == message


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, content in members.items():
            zf.writestr(member, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "actual"),
    [
        (fixture_bytes("measures.docx"), "a.txt", "Word 文档"),
        (fixture_bytes("measures.pdf"), "a.txt", "PDF 文件"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "a.txt", "可执行程序"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "a.html", "PNG 图片"),
        (fixture_bytes("measures.docx"), "a.pdf", "Word 文档"),
        ("这其实是一段文字".encode(), "a.pdf", None),
        (fixture_bytes("measures.pdf"), "a.docx", "PDF 文件"),
        (zip_bytes({"xl/workbook.xml": b"<workbook/>"}), "a.docx", "Excel 表格"),
        (zip_bytes({"readme.txt": b"hi"}), "a.docx", "ZIP 压缩包"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "a.docx", "旧版 Office 文档"),
    ],
)
def test_content_that_contradicts_the_extension(data, name, actual):
    reason = read_error(data, name).reason

    assert reason.startswith("文件内容与类型不符")
    if actual:
        assert actual in reason


def test_binary_junk_named_txt():
    junk = random.Random(0).randbytes(4096)

    assert read_error(junk, "junk.txt").reason == "不是文本文件"


def test_text_that_is_mostly_control_characters_is_not_text():
    assert read_error("\ufeff".encode() + "\x01\x02\x03\x04好".encode(), "a.txt").reason == "不是文本文件"


def test_undecodable_bytes():
    data = bytes(range(0x80, 0x100)) * 3  # not UTF-8, not GB18030, nothing charset-normalizer trusts

    assert read_error(data, "乱码.txt").reason == "无法识别文字编码"


@pytest.mark.parametrize(
    "data",
    [
        random.Random(1).randbytes(2048),
        fixture_bytes("measures.docx")[:5000],  # a zip cut short
        zip_bytes({"word/document.xml": b"<not xml", "[Content_Types].xml": b"<also not"}),
    ],
    ids=["random", "truncated", "bad-xml"],
)
def test_corrupt_docx(data):
    assert read_error(data, "损坏.docx").reason == "文件已损坏或无法解析"


@pytest.mark.parametrize(
    "data",
    [fixture_bytes("measures.pdf")[:1500], b"%PDF-1.4\nthis is not a pdf at all\n%%EOF\n"],
    ids=["truncated", "garbage-body"],
)
def test_corrupt_pdf(data):
    assert read_error(data, "损坏.pdf").reason.startswith("文件已损坏或无法解析")


def test_docx_zip_bomb_is_refused_by_declared_size():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("word/document.xml", "w") as member:
        for _ in range(30):
            member.write(bytes(MB))  # 30 MB of zeros squeeze into ~30 KB
    data = buffer.getvalue()
    assert len(data) < MB

    reason = read_error(data, "炸弹.docx", max_bytes=MB).reason

    assert "疑似压缩炸弹" in reason


def test_docx_with_too_many_members_is_refused():
    data = zip_bytes({f"word/media/{i}.bin": b"" for i in range(2001)} | {"word/document.xml": b"<x/>"})

    assert "疑似压缩炸弹" in read_error(data, "多文件.docx").reason


def test_pdf_without_text_layer(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdftotext to fall back on
    with pytest.raises(ReadError) as info:
        read_document(FORMATS_DIR / "scan_no_text.pdf", max_bytes=LIMIT)
    assert str(info.value) == "scan_no_text.pdf: PDF 没有文字层（可能是扫描件），请先进行文字识别"


# ---------------------------------------------------------------------------------------------
# Anything in, ReadResult or ReadError out


FIXTURE_NAMES = sorted(p.name for p in FORMATS_DIR.iterdir())


@st.composite
def damaged_fixtures(draw) -> bytes:
    """A real sample file, cut short and/or with some bytes overwritten: reaches deeper into the
    zip, XML and PDF parsers than random bytes do."""
    data = bytearray(fixture_bytes(draw(st.sampled_from(FIXTURE_NAMES))))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    for _ in range(draw(st.integers(0, 8))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


any_bytes = st.one_of(
    st.binary(max_size=4096),
    st.builds(
        lambda prefix, tail: prefix + tail,
        st.sampled_from([b"%PDF-1.4\n", b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe", b"<html><body>"]),
        st.binary(max_size=2048),
    ),
    st.text(max_size=500).map(lambda s: s.encode("utf-8")),
    damaged_fixtures(),
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=any_bytes, name=st.sampled_from(["x.txt", "x.html", "x.htm", "x.docx", "x.pdf"]))
def test_arbitrary_bytes_give_a_result_or_a_read_error(data, name):
    try:
        result = read_bytes(data, name=name, max_bytes=LIMIT)
    except ReadError as exc:
        assert str(exc).startswith(f"{name}: ")
        assert "\n" not in str(exc)
        return
    assert isinstance(result, ReadResult)
    assert result.text.strip()
    assert "\r" not in result.text and "\ufeff" not in result.text
    assert not any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in result.text)
    assert result.text == unicodedata.normalize("NFC", result.text)
    assert all(line == line.rstrip() for line in result.text.split("\n"))


def _docx_bomb(inflated_mb: int) -> bytes:
    """A .docx whose document.xml inflates to `inflated_mb` MB of paragraphs (the shape of the
    files found by fuzzing: a few hundred KB on the wire)."""
    buffer = io.BytesIO()
    paragraph = b"<w:p><w:r><w:t>" + "措施".encode() * 20 + b"</w:t></w:r></w:p>"
    chunk = paragraph * (MB // len(paragraph))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w") as member:
            for _ in range(inflated_mb):
                member.write(chunk)
    return buffer.getvalue()


def test_docx_expanding_to_100_mb_is_refused_before_it_is_inflated():
    import tracemalloc

    data = _docx_bomb(100)
    assert len(data) < 2 * MB
    tracemalloc.start()
    try:
        reason = read_error(data, "大文件.docx").reason
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "上限 16 MB" in reason and "疑似压缩炸弹" in reason
    # The upload itself is already in memory; refusing it may cost little more than a copy.
    assert peak < 100 * MB


def test_text_longer_than_any_plan_is_refused_naming_the_limit():
    text = ("一、措施。(责任单位:市商务局)\n" * 200_000).encode()  # 3.4 M characters
    reason = read_error(text, "很长.txt", max_bytes=64 * MB).reason
    assert "200 万字" in reason


def test_html_nested_deeper_than_any_page_is_refused():
    depth = readers.HTML_MAX_DEPTH + 50
    page = ("<div>" * depth + "一、措施。(责任单位:市商务局)" + "</div>" * depth).encode()
    # lxml's own limit is deeper than ours, so the refusal is ours, with its reason.
    assert "嵌套过深" in read_error(page, "深.html").reason
