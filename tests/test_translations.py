"""Every user-facing string is translated: zh-hans (the default) and English complete.

makemessages runs on a copy of the source, merging the committed catalogues; any msgid it finds
without a translation, or marked fuzzy, fails the test. So a new string added without its
translation is caught, not only a catalogue entry left empty."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ["agencies", "measures", "tracker", "notifications"]
LOCALES = ["zh_Hans", "en"]

pytestmark = pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("src")
    for app in APPS:
        shutil.copytree(ROOT / app, copy / app, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copytree(ROOT / "locale", copy / "locale")
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    args = [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--no-location"]
    for locale in LOCALES:
        args += ["-l", locale]
    for domain in ("django", "djangojs"):
        subprocess.run([*args, "-d", domain], cwd=copy, check=True, capture_output=True)
    return copy


@pytest.mark.parametrize("locale", LOCALES)
def test_every_msgid_is_translated(regenerated, locale):
    catalogue = polib.pofile(str(regenerated / "locale" / locale / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert not missing, f"{len(missing)} untranslated in {locale}: {missing[:20]}"


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_is_current(locale):
    po = polib.pofile(str(ROOT / "locale" / locale / "LC_MESSAGES" / "django.po"))
    mo = polib.mofile(str(ROOT / "locale" / locale / "LC_MESSAGES" / "django.mo"))

    def key(e):
        return (e.msgctxt, e.msgid)

    compiled = {key(e): e.msgstr for e in mo if e.msgid}
    assert {key(e): e.msgstr for e in po.translated_entries()} == compiled, "run: python manage.py compilemessages"


def test_chinese_text_takes_full_width_punctuation():
    """Half-width , ; : ? ! ( ) beside Chinese characters read as typos in Chinese; placeholders
    (%(n)s) and URLs keep theirs."""
    catalogue = polib.pofile(str(ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    cjk = "[\u3400-\u9fff]"
    bad = []
    for entry in catalogue.translated_entries():
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            bare = re.sub(r"%\([a-z_]+\)[sdf]|%\([a-z_]+\)\.\d+f|https?://\S+", "", text)
            if re.search(f"{cjk}[,;:?!()]|[,;:?!()]{cjk}", bare):
                bad.append(text)
    assert not bad, bad[:10]
