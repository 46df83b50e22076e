"""Fuzz the import through the page (not a test).

    python bench/fuzz_import.py [--files 2000] [--seed 13] [--json out.json]

Generates at least --files files — random bytes; truncated and mutated .docx and .pdf made from
fixtures/formats; zip bombs; a 50 MB text; GBK, GB18030, UTF-16 and BOM texts, cut and mutated;
HTML with scripts and deep nesting; mutated plan texts; a 10,000-measure plan — and posts each to
/import/ as a coordinator would, on a throw-away SQLite database with Celery eager (so the parse
runs in its forked child under POLICY_PARSE_SECONDS / POLICY_PARSE_MEMORY_MB, as in a worker),
then opens the page the upload leads to. It counts:

- crashes: a 500, an exception out of the request, or a logged error with a traceback;
- unclear answers: a refusal whose message is empty, does not name the file, or is the catch-all
  of an unexpected exception ("解析时出错");
- leftovers: any row of any table that a refused file added (every model is counted before and
  after each file; the failed draft itself is the message shown, and must keep no upload bytes),
  a draft left "parsing", a new file in the temporary directory;
- time per file (upload request with the parse, plus the page) and peak memory (the largest
  parse child, and this process).

Then checks the limits on the same path: the 10,000-measure plan with a 1-second parse limit and
with a 64 MB memory limit must each stop with the limit's message. Figures go to
docs/reliability.md."""

import argparse
import codecs
import io
import json
import logging
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="fuzz-import-")
# Temporary files of this run (and of the parse children) go here, so that what is left behind
# is this run's and nobody else's.
tempfile.tempdir = os.path.join(TMP, "tmp")
os.mkdir(tempfile.tempdir)
os.environ["TMPDIR"] = tempfile.tempdir
os.environ.update(
    DJANGO_SETTINGS_MODULE="tracker.settings",
    DATABASE_URL=f"sqlite:///{TMP}/fuzz.sqlite3",
    CELERY_BROKER_URL="",  # eager: the parse runs on commit, in its forked child, as in a worker
    # As in production: a crash is a plain 500, not the debug page.
    DEBUG="false",
    SECRET_KEY="fuzz-only-not-a-secret",
    ALLOWED_HOSTS="testserver",
    SECURE_SSL_REDIRECT="false",
)
import django  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

django.setup()
from django.apps import apps  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from agencies.models import Agency, User  # noqa: E402
from measures.models import ImportDraft  # noqa: E402

MB = 1024 * 1024
FORMATS = ROOT / "fixtures" / "formats"
SEEDS = sorted((ROOT / "fixtures" / "seeds").glob("*.txt"))
CATCH_ALL = "解析时出错"


# --- generators: (category, file name, bytes) -----------------------------------------------


def _flip(rng: random.Random, data: bytes, n: int) -> bytes:
    out = bytearray(data)
    for _ in range(n):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _splice(rng: random.Random, data: bytes) -> bytes:
    """Cut a range out, repeat one, or insert junk: what a broken transfer or a bad editor does."""
    if len(data) < 4:
        return data + bytes(rng.randrange(256) for _ in range(8))
    a, b = sorted(rng.sample(range(len(data)), 2))
    choice = rng.randrange(3)
    if choice == 0:
        return data[:a] + data[b:]
    if choice == 1:
        return data[:b] + data[a:b] * rng.randint(2, 20) + data[b:]
    return data[:a] + rng.randbytes(rng.randint(1, 512)) + data[a:]


def _rezip(template: bytes, mutate) -> bytes:
    """The same .docx with its document.xml changed: a zip that opens, XML that may not."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, mutate(data) if info.filename == "word/document.xml" else data)
    return out.getvalue()


def random_bytes(rng: random.Random, n: int):
    names = [".txt", ".docx", ".pdf", ".html", ".htm", ".doc", "", ".TXT", ".exe", ".wps"]
    for i in range(n):
        size = min(int(rng.lognormvariate(7, 2.5)), 2 * MB)
        head = rng.choice([b"", b"PK\x03\x04", b"%PDF-1.7\n", b"<html>", b"\xef\xbb\xbf", b"\xff\xfe"])
        yield "random bytes", f"random{i}{rng.choice(names)}", head + rng.randbytes(size)


def docx_files(rng: random.Random, truncated: int, mutated: int):
    template = (FORMATS / "measures.docx").read_bytes()
    for i in range(truncated):
        yield "docx truncated", f"cut{i}.docx", template[: rng.randrange(len(template))]
    for i in range(mutated):
        kind = i % 3
        if kind == 0:
            data = _flip(rng, template, rng.randint(1, 50))
        elif kind == 1:
            data = _rezip(template, lambda xml: _flip(rng, xml, rng.randint(1, 30)))
        else:
            data = _rezip(template, lambda xml: _splice(rng, xml))
        yield "docx mutated", f"mutated{i}.docx", data


def pdf_files(rng: random.Random, truncated: int, mutated: int):
    templates = [(FORMATS / "measures.pdf").read_bytes(), (FORMATS / "scan_no_text.pdf").read_bytes()]
    for i in range(truncated):
        template = templates[i % 2]
        yield "pdf truncated", f"cut{i}.pdf", template[: rng.randrange(len(template))]
    for i in range(mutated):
        template = templates[i % 2]
        data = _flip(rng, template, rng.randint(1, 40)) if i % 4 else _splice(rng, template)
        yield "pdf mutated", f"mutated{i}.pdf", data


def bombs():
    """Zips that cost far more inflated than on the wire, and zips that are no Word file."""
    paragraph = "<w:p><w:r><w:t>一、推进措施。(责任单位:市商务局)</w:t></w:r></w:p>".encode()
    raw = (FORMATS / "measures.docx").read_bytes()

    def docx(document: bytes | None, extra: dict[str, bytes] | None = None) -> bytes:
        template = zipfile.ZipFile(io.BytesIO(raw))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for info in template.infolist():
                if info.filename == "word/document.xml" and document is not None:
                    zf.writestr("word/document.xml", document)
                else:
                    zf.writestr(info, template.read(info))
            for name, data in (extra or {}).items():
                zf.writestr(name, data)
        return out.getvalue()

    body = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    big = body + paragraph * (100 * MB // len(paragraph)) + b"</w:body></w:document>"
    yield "zip bomb", "bomb-100mb.docx", docx(big)
    yield "zip bomb", "bomb-zeros.docx", docx(None, {"word/media/zeros.xml": bytes(200 * MB)})
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("zeros.bin", bytes(100 * MB))
    yield "zip bomb", "nested.docx", docx(None, {"word/embeddings/inner.zip": inner.getvalue() * 4})
    yield "zip bomb", "members.docx", docx(None, {f"word/m{i}.xml": b"<a/>" for i in range(3000)})
    flat = io.BytesIO()
    with zipfile.ZipFile(flat, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("a.txt", bytes(300 * MB))
    yield "zip bomb", "plain-zip.docx", flat.getvalue()
    # Nesting entities in the XML itself (billion laughs): lxml must not expand them.
    laughs = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %c "%s">' % (ord("b") + i, (b"&%c;" % (ord("a") + i)) * 10) for i in range(9)
    )
    laughs += b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    laughs += b"<w:p><w:r><w:t>&j;</w:t></w:r></w:p></w:body></w:document>"
    yield "zip bomb", "laughs.docx", docx(laughs)
    yield "zip bomb", "laughs.html", b"<html><body>" + laughs + b"</body></html>"


def big_texts():
    line = "一、推进措施落实。(责任单位:市商务局)\n".encode()
    yield "big text", "50mb.txt", line * (50 * MB // len(line))
    yield "big text", "19mb.txt", line * (19 * MB // len(line))
    yield "big text", "one-line-10mb.txt", "字".encode() * (10 * MB // 3)


def encodings(rng: random.Random, mutated: int):
    texts = [s.read_text(encoding="utf-8") for s in SEEDS]
    variants = {
        "gbk": lambda t: t.encode("gbk", errors="replace"),
        "gb18030": lambda t: t.encode("gb18030"),
        "utf-16": lambda t: t.encode("utf-16"),  # with BOM
        "utf-16-le": lambda t: t.encode("utf-16-le"),
        "utf-16-be": lambda t: t.encode("utf-16-be"),
        "utf-8-sig": lambda t: t.encode("utf-8-sig"),
        "utf-32": lambda t: t.encode("utf-32"),
        "big5": lambda t: t.encode("big5", errors="replace"),
        "bom-then-gbk": lambda t: codecs.BOM_UTF8 + t.encode("gbk", errors="replace"),
    }
    for i, text in enumerate(texts):
        for label, encode in variants.items():
            data = encode(text)
            yield "encodings", f"seed{i}-{label}.txt", data
            yield "encodings", f"seed{i}-{label}-cut.txt", data[: rng.randrange(1, len(data)) | 1]
    for i in range(mutated):
        label, encode = rng.choice(list(variants.items()))
        data = encode(rng.choice(texts))
        yield "encodings mutated", f"mutated{i}-{label}.txt", _flip(rng, data, rng.randint(1, 200))


def html_files(rng: random.Random, n: int):
    texts = [s.read_text(encoding="utf-8") for s in SEEDS]
    page = (FORMATS / "policy_page.html").read_bytes()
    nasty = [
        "<script>alert(document.cookie)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">点此</a>',
        "<iframe src=//evil.example></iframe>",
        "<style>body{background:url(javascript:alert(1))}</style>",
        "<svg onload=alert(1)>",
        "<!-- <script>alert(1)</script> -->",
        '"><script>alert(1)</script>',
        "=cmd|' /C calc'!A0",
        "</textarea><script>alert(1)</script>",
    ]
    for i in range(n):
        text = rng.choice(texts)
        lines = text.splitlines()
        kind = i % 5
        if kind == 0:  # script and handlers sprinkled through the text
            body = "".join(f"<p>{line}{rng.choice(nasty)}</p>" for line in lines)
        elif kind == 1:  # deep nesting, around and beyond the 200-level limit
            depth = rng.choice([50, 150, 199, 201, 500, 5000, 100_000])
            body = "<div>" * depth + "<p>" + "</p><p>".join(lines) + "</p>" + "</div>" * depth
        elif kind == 2:  # unclosed and misnested tags
            body = "".join(f"<{rng.choice(['p', 'div', 'td', 'li', 'b'])}>{line}" for line in lines)
        elif kind == 3:  # a saved page, mutated
            yield "html", f"page{i}.html", _flip(rng, page, rng.randint(1, 100)) if i % 2 else _splice(rng, page)
            continue
        else:  # a declared charset, true or false
            charset = rng.choice(["gbk", "utf-8", "gb18030", "big5", "nonsense"])
            raw = f'<meta charset="{charset}"><body>' + "<br>".join(lines) + rng.choice(nasty) + "</body>"
            yield "html", f"charset{i}.html", raw.encode("gbk" if charset == "gbk" else "utf-8", errors="replace")
            continue
        yield "html", f"nasty{i}.html", f"<html><head><title>t</title></head><body>{body}</body></html>".encode()


def mutated_texts(rng: random.Random, n: int):
    texts = [s.read_text(encoding="utf-8") for s in SEEDS]
    junk = ["\x00", "\u202e", "\ufeff", "\u200b", "\x1b[31m", "\r", "\u3000" * 50, "(", ")", "一、", "1.", "〔",
            "责任单位:", "=1+1", "@SUM(A1)", "\U0001f600", "\udcff"]  # fmt: skip
    for i in range(n):
        lines = rng.choice(texts).splitlines()
        for _ in range(rng.randint(1, 40)):
            op = rng.randrange(4)
            j = rng.randrange(len(lines)) if lines else 0
            if op == 0 and lines:
                del lines[j]
            elif op == 1 and lines:
                lines.insert(j, lines[rng.randrange(len(lines))])
            elif op == 2 and lines:
                k = rng.randrange(len(lines[j]) + 1)
                lines[j] = lines[j][:k] + rng.choice(junk) * rng.randint(1, 30) + lines[j][k:]
            else:
                rng.shuffle(lines)
        yield "text mutated", f"mutated{i}.txt", "\n".join(lines).encode("utf-8", errors="surrogatepass")


def random_texts(rng: random.Random, n: int):
    for i in range(n):
        chars = [chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x4E00, 0x9FFF), rng.randrange(0x110000)]))
                 for _ in range(rng.randint(0, 5000))]  # fmt: skip
        text = "".join(c for c in chars if not 0xD800 <= ord(c) <= 0xDFFF)
        yield "random text", f"unicode{i}{rng.choice(['.txt', '.html'])}", text.encode("utf-8")


def ten_thousand() -> bytes:
    lines = [f"{i}. 第{i}项措施。(责任单位:市商务局;配合单位:市财政局)" for i in range(1, 10_001)]
    return ("济南市人民政府办公厅关于印发一万项措施的通知\n" + "\n".join(lines)).encode()


def corpus(files: int, seed: int):
    rng = random.Random(seed)
    scale = files / 2000
    counts = {k: max(1, round(v * scale)) for k, v in {
        "random": 400, "docx_cut": 200, "docx_mut": 250, "pdf_cut": 200, "pdf_mut": 250, "enc_mut": 110,
        "html": 200, "text": 200, "unicode": 100}.items()}  # fmt: skip
    yield from random_bytes(rng, counts["random"])
    yield from docx_files(rng, counts["docx_cut"], counts["docx_mut"])
    yield from pdf_files(rng, counts["pdf_cut"], counts["pdf_mut"])
    yield from bombs()
    yield from big_texts()
    yield from encodings(rng, counts["enc_mut"])
    yield from html_files(rng, counts["html"])
    yield from mutated_texts(rng, counts["text"])
    yield from random_texts(rng, counts["unicode"])
    yield "10,000 measures", "10000.txt", ten_thousand()


# --- the run ---------------------------------------------------------------------------------


class Errors(logging.Handler):
    """Every logged error and every logged traceback, whoever logged it."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)


def table_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models() if m is not ImportDraft}


def temp_files() -> set[str]:
    return set(os.listdir(tempfile.gettempdir()))


def shown_errors(response) -> str:
    """The error text the page shows, as the person reads it."""
    soup = BeautifulSoup(response.content, "lxml")
    return " ".join(e.get_text(" ", strip=True) for e in soup.select(".errorlist"))


def post(client: Client, name: str, data: bytes):
    response = client.post(reverse("pages:import"), {"file": SimpleUploadedFile(name, data)})
    if response.status_code == 302:
        return response, client.get(response["Location"])
    return response, None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("load_directory", verbosity=0, stdout=io.StringIO())
    # A superuser coordinator: every city's directory is theirs, so every file that parses goes
    # on to its preview page (a Jinan coordinator would be turned away from the other seeds).
    user = User.objects.create_superuser(
        "fuzz", role=User.Role.COORDINATOR, agency=Agency.objects.get(jurisdiction__name="济南市", name="市发展改革委")
    )
    client = Client(raise_request_exception=False, secure=True)
    client.force_login(user)
    # First, while this process is small: the memory budget is address space beyond what the
    # parent maps, and heap the parent freed but still maps (after the bombs, hundreds of MB) is
    # room the child can use without growing it.
    limits = check_limits(client, user)
    errors = Errors()
    logging.getLogger().addHandler(errors)
    # The 400 of every refused upload is logged as a warning; pdfminer warns about every broken
    # object. Neither is a crash; errors and tracebacks still reach `errors`.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    outcomes: Counter = Counter()
    by_category: dict[str, Counter] = {}
    problems: list[dict] = []
    times: list[float] = []
    slowest: list[tuple[float, str]] = []
    temp_before = temp_files()
    for category, name, data in corpus(args.files, args.seed):
        before = table_counts()
        logged = len(errors.records)
        start = time.perf_counter()
        try:
            upload, page = post(client, name, data)
        except Exception as exc:  # the test client re-raises nothing (raise_request_exception=False)
            problems.append({"file": name, "problem": f"exception {type(exc).__name__}: {exc}"})
            outcomes["crash"] += 1
            continue
        seconds = time.perf_counter() - start
        times.append(seconds)
        slowest.append((seconds, name))
        draft = ImportDraft.objects.filter(user=user).order_by("-pk").first() if upload.status_code == 302 else None
        if upload.status_code == 400:
            outcome = "refused at upload"
            message = shown_errors(upload)
        elif draft is not None and draft.status == ImportDraft.Status.READY and page.status_code == 200:
            outcome = "parsed, preview shown"
            message = ""
        elif draft is not None and draft.status == ImportDraft.Status.FAILED and page.status_code == 200:
            outcome = "refused by the parse"
            message = shown_errors(page) if draft.error in shown_errors(page) else ""
        else:
            outcome = f"unexpected {upload.status_code}/{page.status_code if page else '-'}"
            message = ""
        crashed = upload.status_code >= 500 or (page is not None and page.status_code >= 500)
        if crashed or len(errors.records) > logged:
            outcome = "crash"
            problems.append({"file": name, "problem": [r.getMessage() for r in errors.records[logged:]]})
        if outcome.startswith("refused"):
            if not message or name[:20] not in message or CATCH_ALL in message:
                problems.append({"file": name, "problem": f"unclear message: {message!r}"})
                outcomes["unclear"] += 1
            after = table_counts()
            if after != before:
                problems.append(
                    {"file": name, "problem": f"left behind: {dict(set(after.items()) - set(before.items()))}"}
                )
                outcomes["left behind"] += 1
        if ImportDraft.objects.filter(upload__isnull=False).exclude(status=ImportDraft.Status.READY).exists():
            problems.append({"file": name, "problem": "a refused draft kept its upload, or one is still parsing"})
            outcomes["left behind"] += 1
        outcomes[outcome] += 1
        by_category.setdefault(category, Counter())[outcome] += 1
        # Drafts would pile up (each holds its text); the next upload would clear them after a day.
        ImportDraft.objects.filter(user=user).delete()
    new_temp = temp_files() - temp_before
    files = sum(sum(c.values()) for c in by_category.values())
    report = {
        "files": files,
        "outcomes": dict(outcomes),
        "by category": {k: dict(v) for k, v in by_category.items()},
        "crashes": outcomes["crash"],
        "p50 seconds": round(statistics.median(times), 3),
        "p95 seconds": round(sorted(times)[int(0.95 * (len(times) - 1))], 3),
        "max seconds": round(max(times), 2),
        "slowest": [f"{n} {s:.1f}s" for s, n in sorted(slowest, reverse=True)[:5]],
        "peak parse child MB": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "peak this process MB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "temporary files left": sorted(new_temp),
        "limits": limits,
        "problems": problems[:50],
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1))
    bad = outcomes["crash"] + outcomes["unclear"] + outcomes["left behind"] + len(new_temp)
    bad += sum(1 for k in outcomes if k.startswith("unexpected")) + sum(1 for v in limits.values() if not v["ok"])
    return 1 if bad else 0


def check_limits(client: Client, user: User) -> dict:
    """The per-file limits hold on the page's path: a parse that takes too long, or needs too
    much memory, stops with a message that names the limit."""
    data = ten_thousand()
    checks = {
        "time (1 s)": ({"POLICY_PARSE_SECONDS": 1}, "秒的时限"),
        "memory (16 MB)": ({"POLICY_PARSE_MEMORY_MB": 16}, "内存超过"),
    }
    out = {}
    for label, (overrides, expected) in checks.items():
        with override_settings(**overrides):
            start = time.perf_counter()
            _upload, page = post(client, "10000.txt", data)
            seconds = time.perf_counter() - start
        draft = ImportDraft.objects.filter(user=user).order_by("-pk").first()
        ok = draft.status == ImportDraft.Status.FAILED and expected in draft.error and page.status_code == 200
        out[label] = {"ok": ok, "status": draft.status, "message": draft.error, "seconds": round(seconds, 2)}
        ImportDraft.objects.filter(user=user).delete()
    return out


if __name__ == "__main__":
    sys.exit(main())
