"""The demo park: the article's totals, determinism, file errors, idempotent seeding."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from nevport.db.engine import Database
from nevport.park import service
from nevport.park.demo import DemoDataError, DemoPark, default_data_dir, load_demo, seed_demo
from nevport.park.models import GreenLevel, ProjectStatus, Sector
from nevport.park.uscc import is_valid_credit_code

from .conftest import snapshot


@pytest.fixture(scope="module")
def park() -> DemoPark:
    return load_demo()


def test_counts_and_totals_match_the_article(park: DemoPark) -> None:
    assert len(park.enterprises) >= 170
    assert sum(len(maker.plants) for maker in park.makers) == 18
    assert len(park.projects) == 21
    assert sum(p.record.investment_yuan for p in park.projects) == 3_120_000_000
    assert sum(p.record.expected_output_yuan for p in park.projects) == 8_380_000_000
    green = Counter(firm.green_level for firm in park.enterprises)
    assert (green[GreenLevel.national], green[GreenLevel.municipal]) == (3, 5)
    assert {firm.sector for firm in park.enterprises} == set(Sector)
    provinces = {plant.province for maker in park.makers for plant in maker.plants}
    assert provinces == {"Beijing", "Tianjin", "Hebei"}


def test_every_record_is_well_formed_and_unique(park: DemoPark) -> None:
    for key in ("name_zh", "name_en", "credit_code"):
        values = [getattr(firm, key) for firm in park.enterprises]
        assert len(set(values)) == len(values), key
    assert all(is_valid_credit_code(firm.credit_code) for firm in park.enterprises)
    for firm in park.enterprises:
        for site in firm.sites:  # around the park, roughly 39.5 N 116.95 E
            assert abs(site.latitude - 39.50) < 0.05
            assert abs(site.longitude - 116.95) < 0.05
        if firm.above_designated_size and firm.output_value_yuan is not None:
            assert firm.output_value_yuan >= 20_000_000  # the statistical threshold
    assert len({p.record.name_zh for p in park.projects}) == 21


def test_the_named_firms_carry_the_articles_facts(park: DemoPark) -> None:
    firms = {firm.name_zh: firm for firm in park.enterprises}
    assert firms["天津博顿电子有限公司"].patents == 85
    assert firms["博思特能源装备(天津)股份有限公司"].key_power_user
    assert firms["天津吉兴汽车部件有限公司"].customers == ["Xiaomi Auto"]
    named = park.enterprises[: len(park.enterprises) - 163]  # synthetic.yaml adds 163
    assert "天津博顿电子有限公司" in {firm.name_zh for firm in named}
    assert not any(firm.synthetic for firm in named)
    assert all(firm.synthetic for firm in park.enterprises[len(named) :])
    projects = {p.record.name_en: p.record for p in park.projects}
    taihong = projects["Zhejiang Taihong Wanli northern HQ project"]
    assert (taihong.investment_yuan, taihong.expected_output_yuan) == (480_000_000, 600_000_000)
    assert taihong.signed_on is not None
    assert (taihong.signed_on.year, taihong.signed_on.month) == (2025, 12)
    yanlong = projects["Jiangsu Yanlong vehicle supporting base project"]
    assert yanlong.investment_yuan == 1_000_000_000
    assert yanlong.production_start == date(2026, 12, 31)
    generated = [p.record for p in park.projects if p.record.synthetic]
    assert len(generated) == 19
    assert all(p.signed_on is not None and p.signed_on.year == 2025 for p in generated)


def test_the_park_is_the_same_every_time(park: DemoPark) -> None:
    assert load_demo() == park


def broken_copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    target = tmp_path / "data"
    shutil.copytree(default_data_dir(), target)
    path = target / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        (
            "makers.yaml",
            "latitude: 39.79",
            "latitude: 139.79",
            "makers.yaml:10: makers.0.plants.0.latitude: Input should be less than or equal to 90",
        ),
        (
            "enterprises.yaml",
            "credit_code: 91120114K2ET8WJY5K",
            "credit_code: 91120114K2ET8WJY5L",
            "enterprises.yaml:10: enterprises.0.credit_code: Value error, check character is 'L', "
            "expected 'K'",
        ),
        (
            "enterprises.yaml",
            "    patents: 30\n",
            "    patents: 30\n    patent: 3\n",
            "enterprises.yaml:14: enterprises.0.patent: Extra inputs are not permitted",
        ),
        (
            "synthetic.yaml",
            "total: 172",
            "total: 171",
            "synthetic.yaml:8: enterprises.by_sector: sums to 163, but total 171 minus 9 named",
        ),
        (
            "projects.yaml",
            "count: 21",
            "count: 25",
            "synthetic.yaml:49: projects.statuses: gives 19 projects; the totals need 23",
        ),
        (
            "projects.yaml",
            "enterprise: 江苏燕龙科技京津冀整车配套基地",
            "enterprise: 不存在",
            "projects.yaml:20: projects.1.enterprise: no enterprise named '不存在'",
        ),
        ("makers.yaml", "makers:\n", "makers: [\n", "makers.yaml:"),
    ],
)
def test_file_errors_name_file_line_and_field(
    tmp_path: Path, name: str, old: str, new: str, message: str
) -> None:
    with pytest.raises(DemoDataError) as caught:
        load_demo(broken_copy(tmp_path, name, old, new))
    assert str(caught.value).startswith(message), str(caught.value)


def test_seeding_is_idempotent_and_reaches_the_totals(database: Database, park: DemoPark) -> None:
    with database.session() as session:
        first = seed_demo(session, park)
    assert first.created == {
        "vehicle_makers": 11,
        "oem_plants": 18,
        "enterprises": len(park.enterprises),
        "projects": 21,
    }
    before = snapshot(database)
    with database.session() as session:
        second = seed_demo(session, park)
    assert second.created == {}
    assert sum(second.kept.values()) == sum(first.created.values())
    assert snapshot(database) == before
    with database.session() as session:
        view = service.park_overview(session)
    assert view.enterprises == len(park.enterprises)
    assert view.oem_plants == 18
    assert (
        view.projects.count,
        view.projects.investment_yuan,
        view.projects.expected_output_yuan,
    ) == (21, 3_120_000_000, 8_380_000_000)
    assert view.output_value_yuan == 24_300_000_000
    assert view.projects_by_status[ProjectStatus.cancelled].count == 0
    assert view.green_factories == {GreenLevel.national: 3, GreenLevel.municipal: 5}
