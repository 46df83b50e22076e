"""What the import's limits cost and save (not a test).

    python bench/import_limits.py

On a throw-away SQLite database: the time and memory of refusing
expanding .docx files, of parsing the largest .docx the limits admit, of the upload request against
the parse it hands to Celery, and of the preview of a 10,000-measure plan. Memory is peak resident
set growth (ru_maxrss): of this process for work done here, of the child for a parse.
Figures go to docs/reliability.md."""

import io
import os
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp()
os.environ.update(
    DJANGO_SETTINGS_MODULE="tracker.settings",
    DATABASE_URL=f"sqlite:///{TMP}/bench.sqlite3",
    # An in-memory broker nobody consumes: the upload is timed alone, the task's work by hand.
    CELERY_BROKER_URL="memory://",
    CELERY_TASK_ALWAYS_EAGER="false",
)
import django  # noqa: E402

django.setup()
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from agencies.models import Agency, User  # noqa: E402
from measures import services  # noqa: E402
from measures.models import ImportDraft  # noqa: E402
from measures.readers import ReadError, read_bytes  # noqa: E402

MB = 1024 * 1024
SEED = ROOT / "fixtures" / "seeds" / "000_0931c75b694a60a7.txt"


def rss_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def docx(inflated_mb: float) -> bytes:
    paragraph = "<w:p><w:r><w:t>一、推进措施。(责任单位:市商务局)</w:t></w:r></w:p>".encode()
    chunk = paragraph * (MB // len(paragraph))
    body = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("word/document.xml", "w") as member:
            member.write(body)
            whole, part = divmod(inflated_mb, 1)
            for _ in range(int(whole)):
                member.write(chunk)
            member.write(chunk[: int(part * len(chunk)) // len(paragraph) * len(paragraph)])
            member.write(b"</w:body></w:document>")
        template = zipfile.ZipFile(ROOT / "fixtures" / "formats" / "measures.docx")
        for info in template.infolist():
            if info.filename != "word/document.xml":
                zf.writestr(info, template.read(info))
    return buffer.getvalue()


def refuse(label: str, inflated_mb: int) -> None:
    data = docx(inflated_mb)
    before = rss_mb()
    start = time.perf_counter()
    try:
        read_bytes(data, name="bomb.docx", max_bytes=20 * MB)
        outcome = "accepted"
    except ReadError as exc:
        outcome = exc.reason
    ms = (time.perf_counter() - start) * 1000
    print(f"| {label} | {len(data) / 1024:.0f} KB | {ms:.1f} ms | +{rss_mb() - before:.1f} MB | {outcome} |")


def parse_largest() -> None:
    data = docx(15)
    start = time.perf_counter()
    try:
        _text, parsed = services.document_parse(source=data, name="largest.docx")
        outcome = f"{len(parsed.measures)} measures"
    except services.DocumentImportError as exc:
        outcome = str(exc)
    print(
        f"| largest .docx admitted (15 MB of XML) | {len(data) / 1024:.0f} KB | {time.perf_counter() - start:.1f} s "
        f"| child peak {rss_mb(resource.RUSAGE_CHILDREN):.0f} MB | {outcome} |"
    )


def upload_and_preview() -> None:
    call_command("migrate", verbosity=0)
    call_command("load_directory", verbosity=0)
    user = User.objects.create_user(
        "bench", role=User.Role.COORDINATOR, agency=Agency.objects.get(jurisdiction__name="济南市", name="市发展改革委")
    )
    start = time.perf_counter()
    draft = services.import_draft_create(user=user, data=SEED.read_bytes(), name=SEED.name)
    request_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    services.import_draft_parse_run(draft_id=draft.pk)
    parse_ms = (time.perf_counter() - start) * 1000
    print(f"| upload request (Jinan seed, 33 KB) | {request_ms:.0f} ms | parse in the task | {parse_ms:.0f} ms |")

    lines = [f"{i}. 第{i}项措施。(责任单位:市商务局;配合单位:市财政局)" for i in range(1, 10_001)]
    text = "济南市人民政府办公厅关于印发一万项措施的通知\n" + "\n".join(lines)
    big = services.import_draft_create(user=user, data=text.encode(), name="10000.txt")
    start = time.perf_counter()
    services.import_draft_parse_run(draft_id=big.pk)
    parse_s = time.perf_counter() - start
    client = Client()
    client.force_login(user)
    start = time.perf_counter()
    response = client.get(reverse("pages:import-preview", args=[big.pk]))
    page_s = time.perf_counter() - start
    assert ImportDraft.objects.get(pk=big.pk).status == "ready" and response.status_code == 200
    print(
        f"| 10,000-measure plan | parse {parse_s:.1f} s (in the task) | preview page {page_s:.2f} s, "
        f"{len(response.content) / 1024:.0f} KB |"
    )


if __name__ == "__main__":
    print("| input | on the wire | time | memory | outcome |\n| --- | ---: | ---: | ---: | --- |")
    refuse(".docx expanding to 100 MB", 100)
    refuse(".docx expanding to 380 MB", 380)
    parse_largest()
    print()
    upload_and_preview()
