import pytest

from agencies.resolve import AgencyIndex, Match
from tests.factories import AgencyFactory, AliasFactory, JurisdictionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jinan():
    j = JurisdictionFactory(name="济南市", prefix="市")
    commerce = AgencyFactory(jurisdiction=j, name="市商务局", full_name="济南市商务局")
    industry = AgencyFactory(jurisdiction=j, name="市工业和信息化局")
    AliasFactory(agency=industry, name="市工信局")
    AgencyFactory(jurisdiction=j, name="市发展改革委")
    return j, commerce, industry


def test_exact_alias_and_full_name(jinan):
    j, commerce, industry = jinan
    index = AgencyIndex(j, fuzzy_threshold=85)
    assert index.resolve("市商务局") == index.resolve("市商务局")
    r = index.resolve("市商务局")
    assert (r.match, r.agency_id) == (Match.EXACT, commerce.id)
    r = index.resolve("市工信局")
    assert (r.match, r.agency_id, r.agency_name) == (Match.ALIAS, industry.id, "市工业和信息化局")
    assert index.resolve("济南市商务局").agency_id == commerce.id


def test_restored_prefix_and_place_names(jinan):
    j, commerce, industry = jinan
    index = AgencyIndex(j, fuzzy_threshold=85)
    for written in ("商务局", "济南商务局", "工信局"):
        r = index.resolve(written)
        assert r.match == Match.PREFIX, written
    assert index.resolve("商务局").agency_id == commerce.id
    assert index.resolve("工信局").agency_id == industry.id


def test_fuzzy_match_of_a_typo_and_unknown_below_threshold(jinan):
    j, _, industry = jinan
    index = AgencyIndex(j, fuzzy_threshold=85)
    r = index.resolve("市工业和信息局")  # a character lost in a scanned text
    assert (r.match, r.agency_id) == (Match.FUZZY, industry.id)
    assert 85 <= r.score < 100
    r = index.resolve("市园林绿化局")
    assert r.match == Match.UNKNOWN and r.agency_id is None


def test_index_is_scoped_to_one_jurisdiction(jinan):
    other = JurisdictionFactory(name="南通市", prefix="市")
    AgencyFactory(jurisdiction=other, name="市行政审批局")
    index = AgencyIndex(jinan[0], fuzzy_threshold=95)
    assert index.resolve("市行政审批局").match == Match.UNKNOWN


def test_full_width_and_spaces_are_folded(jinan):
    j, commerce, _ = jinan
    assert AgencyIndex(j).resolve("市 商务局").agency_id == commerce.id


def test_prefix_restored_where_the_name_starts_with_the_prefix_character(jinan):
    j = jinan[0]
    market = AgencyFactory(jurisdiction=j, name="市市场监管局")
    r = AgencyIndex(j, fuzzy_threshold=99).resolve("市场监管局")
    assert (r.match, r.agency_id) == (Match.PREFIX, market.id)
