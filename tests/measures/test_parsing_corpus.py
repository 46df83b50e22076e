"""Every unseen document (three sets written by different hands, with their own README notes)
meets the bar, and the whole corpus parses fast."""

import time
from pathlib import Path

import pytest
from corpus import SETS, assert_meets_the_bar, documents, gold

from measures.parsing import parse_document

ALL = [doc for name in SETS for doc in documents(name)]


@pytest.mark.parametrize("name", SETS)
def test_each_set_has_annotated_documents(name: str):
    docs = documents(name)
    assert len(docs) >= 6
    for doc in docs:
        annotation = gold(doc)
        assert annotation["source"] == doc.name
        assert annotation["measures"], doc.name


@pytest.mark.parametrize("doc", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_unseen_document_meets_the_bar(doc: Path):
    assert_meets_the_bar(gold(doc), parse_document(doc.read_text(encoding="utf-8"), doc.name).to_dict())


def test_corpus_parses_fast():
    texts = [d.read_text(encoding="utf-8") for d in ALL]
    start = time.perf_counter()
    for text in texts:
        parse_document(text)
    assert time.perf_counter() - start < 3.0
