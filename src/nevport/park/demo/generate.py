"""The demo park: the named records of the data files plus seeded synthetic ones.

Everything is a pure function of the files (and the seed inside synthetic.yaml), so
every machine builds the same park. Totals that the article states (enterprise count,
green factories, 2025 project count, investment and expected output) come out exact;
the article's figures are checked here and refused with file, line and field if the
files cannot reach them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path

from nevport.park.demo.files import (
    EnterprisesFile,
    EnterpriseSpec,
    Loaded,
    MakerIn,
    MakersFile,
    ProjectsFile,
    SyntheticFile,
    read,
)
from nevport.park.models import GreenLevel, ProjectStatus, Sector
from nevport.park.schemas import EnterpriseCreate, MakerRef, ProjectCreate, SiteIn
from nevport.park.uscc import synthetic_credit_code

OUTPUT_UNIT_YUAN = 10_000  # [yuan] synthetic output values are whole 10k yuan (万元)
BELOW_SIZE_OUTPUT_UNITS = (200, 1_900)  # [10k yuan] 2 to 19 million yuan a year
SECOND_SITE_SHARE = 0.15  # share of synthetic firms with a second plant
MAIN_CUSTOMERS = 3  # the first makers in makers.yaml (Benz, Xiaomi, Li Auto) weigh triple
# Services and distribution turn over less than plants of the same headcount.
_SCALE = {Sector.aftermarket: 0.3}
PROJECT_KINDS = (
    ("新建项目", "new plant project"),
    ("扩产项目", "expansion project"),
    ("技改项目", "upgrade project"),
    ("研发中心项目", "R&D centre project"),
)


def default_data_dir() -> Path:
    return Path(str(files("nevport.park") / "data"))


@dataclass(frozen=True)
class DemoProject:
    record: ProjectCreate  # enterprise_id left empty; resolved by name when seeding
    enterprise_name_zh: str | None


@dataclass(frozen=True)
class DemoPark:
    makers: list[MakerIn]
    enterprises: list[EnterpriseCreate]
    projects: list[DemoProject]


def split(total: int, weights: list[float]) -> list[int]:
    """``total`` as non-negative integers in proportion to ``weights``, summing exactly.

    Largest-remainder rounding, ties to the lower index, so the result is deterministic.
    """
    scale = sum(weights)
    raw = [total * w / scale for w in weights]
    parts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def load_demo(data_dir: Path | None = None) -> DemoPark:
    """Read and check the four files under ``data_dir`` and build the whole park."""
    base = data_dir or default_data_dir()
    makers = read(base / "makers.yaml", MakersFile)
    named = read(base / "enterprises.yaml", EnterprisesFile)
    projects = read(base / "projects.yaml", ProjectsFile)
    spec = read(base / "synthetic.yaml", SyntheticFile)
    rng = random.Random(spec.model.seed)  # noqa: S311 - reproducible demo data, not secrets
    enterprises = [firm.record() for firm in named.model.enterprises]
    enterprises += _synthetic_enterprises(rng, spec, enterprises, makers.model.makers)
    return DemoPark(
        makers=makers.model.makers,
        enterprises=enterprises,
        projects=_projects(rng, projects, spec, enterprises),
    )


# --- enterprises ---------------------------------------------------------------------


def _check_enterprise_spec(spec: Loaded[SyntheticFile], named: int) -> EnterpriseSpec:
    es = spec.model.enterprises
    wanted = es.total - named
    if sum(es.by_sector.values()) != wanted:
        raise spec.fail(
            ("enterprises", "by_sector"),
            f"sums to {sum(es.by_sector.values())}, but total {es.total} minus "
            f"{named} named firms needs {wanted}",
        )
    for sector in es.by_sector:
        if len(es.products.get(sector, [])) * len(es.brands) < es.by_sector[sector]:
            raise spec.fail(
                ("enterprises", "products", sector.value),
                "too few brand/product pairs for the requested firms",
            )
    green = sum(es.green_factories.values())
    if not green <= es.above_designated_size <= wanted or es.key_power_users > wanted:
        raise spec.fail(
            ("enterprises",),
            "green factories must be among the above-size firms, "
            "and counts cannot exceed the synthetic firms",
        )
    return es


def _names(rng: random.Random, es: EnterpriseSpec) -> list[tuple[Sector, str, str, str]]:
    """(sector, name_zh, name_en, product_en) for every synthetic firm, sectors in order."""
    out = []
    for sector in Sector:
        pairs = [(b, p) for b in es.brands for p in es.products.get(sector, [])]
        for (brand_zh, brand_en), (prod_zh, prod_en) in rng.sample(
            pairs, es.by_sector.get(sector, 0)
        ):
            out.append(
                (
                    sector,
                    f"天津{brand_zh}{prod_zh}有限公司",
                    f"Tianjin {brand_en} {prod_en} Co., Ltd.",
                    prod_en,
                )
            )
    return out


def _synthetic_enterprises(
    rng: random.Random,
    spec: Loaded[SyntheticFile],
    named: list[EnterpriseCreate],
    makers: list[MakerIn],
) -> list[EnterpriseCreate]:
    es = _check_enterprise_spec(spec, len(named))
    names = _names(rng, es)
    n = len(names)
    above = set(rng.sample(range(n), es.above_designated_size))
    green_pool = rng.sample(sorted(above), sum(es.green_factories.values()))
    national = es.green_factories.get("national", 0)
    green = {
        i: GreenLevel.national if k < national else GreenLevel.municipal
        for k, i in enumerate(green_pool)
    }
    heavy = [i for i, row in enumerate(names) if row[0] in (Sector.powertrain, Sector.chassis_body)]
    power = set(rng.sample(heavy, min(es.key_power_users, len(heavy))))
    outputs = _outputs(rng, spec, named, above, [row[0] for row in names])
    taken = {firm.credit_code for firm in named}
    firms = []
    for i, (sector, name_zh, name_en, product) in enumerate(names):
        customers = _customers(rng, makers, sector)
        firms.append(
            EnterpriseCreate(
                name_zh=name_zh,
                name_en=name_en,
                credit_code=_fresh_code(spec.model.seed, i, taken),
                sector=sector,
                above_designated_size=i in above,
                green_level=green.get(i, GreenLevel.none),
                patents=rng.randint(5, 60) if i in above else rng.randint(0, 15),
                employees=rng.randint(150, 1500) if i in above else rng.randint(15, 140),
                output_value_yuan=outputs[i],
                key_power_user=i in power,
                synthetic=True,
                description=f"{product}. Synthetic demo firm: every value is generated.",
                sites=_sites(rng, es),
                customers=customers,
            )
        )
    return firms


def _fresh_code(seed: int, index: int, taken: set[str]) -> str:
    attempt = 0
    while (code := synthetic_credit_code(f"{seed}:{index}:{attempt}")) in taken:
        attempt += 1
    taken.add(code)
    return code


def _outputs(
    rng: random.Random,
    spec: Loaded[SyntheticFile],
    named: list[EnterpriseCreate],
    above: set[int],
    sectors: list[Sector],
) -> list[int]:
    """Yearly output per synthetic firm, so that the whole park sums to the spec's total."""
    es = spec.model.enterprises
    named_total = sum(firm.output_value_yuan or 0 for firm in named)
    units, rest = divmod(es.output_value_total_yuan - named_total, OUTPUT_UNIT_YUAN)
    floor_units = -(-es.above_size_min_output_yuan // OUTPUT_UNIT_YUAN)
    n = len(sectors)
    small = {i: rng.randint(*BELOW_SIZE_OUTPUT_UNITS) for i in range(n) if i not in above}
    spare = units - sum(small.values()) - floor_units * len(above)
    if rest or spare < 0:
        raise spec.fail(
            ("enterprises", "output_value_total_yuan"),
            "cannot be reached in whole 10k yuan with the named firms' outputs "
            "and the above-size threshold",
        )
    big = sorted(above)
    shares = split(spare, [rng.lognormvariate(0, 0.8) * _SCALE.get(sectors[i], 1.0) for i in big])
    per_firm = dict(small) | {i: floor_units + s for i, s in zip(big, shares, strict=True)}
    return [per_firm[i] * OUTPUT_UNIT_YUAN for i in range(n)]


def _customers(rng: random.Random, makers: list[MakerIn], sector: Sector) -> list[MakerRef]:
    most = 1 if sector is Sector.aftermarket else 3
    weights = [3 if i < MAIN_CUSTOMERS else 1 for i in range(len(makers))]
    picked = sorted({makers[i].name_en for i in rng.choices(range(len(makers)), weights, k=most)})
    chosen: list[MakerRef] = list(picked[: rng.randint(0, most)])
    return chosen


def _sites(rng: random.Random, es: EnterpriseSpec) -> list[SiteIn]:
    count = 2 if rng.random() < SECOND_SITE_SHARE else 1
    spread = es.site.spread_deg
    return [
        SiteIn(
            name="Plant" if k == 0 else f"Plant {k + 1}",
            address="京清汽车产业园",
            latitude=round(es.site.latitude + rng.uniform(-spread, spread), 4),
            longitude=round(es.site.longitude + rng.uniform(-spread, spread), 4),
        )
        for k in range(count)
    ]


# --- projects ------------------------------------------------------------------------


def _projects(
    rng: random.Random,
    projects: Loaded[ProjectsFile],
    spec: Loaded[SyntheticFile],
    enterprises: list[EnterpriseCreate],
) -> list[DemoProject]:
    named = projects.model.projects
    known = {firm.name_zh for firm in enterprises}
    for index, project in enumerate(named):
        if project.enterprise is not None and project.enterprise not in known:
            raise projects.fail(
                ("projects", index, "enterprise"),
                f"no enterprise named {project.enterprise!r} in the demo park",
            )
    out = [
        DemoProject(
            ProjectCreate.model_validate(p.model_dump(exclude={"enterprise", "invented"})),
            p.enterprise,
        )
        for p in named
    ]
    synthetic = [firm for firm in enterprises if firm.synthetic]
    return out + _synthetic_projects(rng, projects, spec, synthetic)


def _synthetic_projects(
    rng: random.Random,
    projects: Loaded[ProjectsFile],
    spec: Loaded[SyntheticFile],
    firms: list[EnterpriseCreate],
) -> list[DemoProject]:
    ps, totals, named = spec.model.projects, projects.model.totals, projects.model.projects
    statuses = [status for status, k in ps.statuses.items() for _ in range(k)]
    n = totals.count - len(named)
    unit, floor = ps.unit_yuan, -(-ps.min_investment_yuan // ps.unit_yuan)
    inv_units, inv_rest = divmod(
        totals.investment_yuan - sum(p.investment_yuan for p in named), unit
    )
    out_units, out_rest = divmod(
        totals.expected_output_yuan - sum(p.expected_output_yuan for p in named), unit
    )
    if len(statuses) != n or n > len(firms):
        raise spec.fail(
            ("projects", "statuses"), f"gives {len(statuses)} projects; the totals need {n}"
        )
    if inv_rest or out_rest or inv_units < floor * n or out_units < 0:
        raise projects.fail(
            ("totals",),
            "the named projects leave totals that synthetic ones "
            f"cannot fill in whole units of {unit} yuan",
        )
    investment = [
        floor + s
        for s in split(inv_units - floor * n, [rng.lognormvariate(0, 0.8) for _ in range(n)])
    ]
    output = split(out_units, [units * rng.uniform(2.0, 6.0) for units in investment])
    owners = rng.sample(firms, n)
    return [
        _project(rng, owner, status, investment[i] * unit, output[i] * unit)
        for i, (owner, status) in enumerate(zip(owners, statuses, strict=True))
    ]


def _project(
    rng: random.Random, owner: EnterpriseCreate, status: ProjectStatus, investment: int, output: int
) -> DemoProject:
    kind_zh, kind_en = rng.choice(PROJECT_KINDS)
    signed = date(2025, rng.randint(1, 12), rng.randint(1, 28))
    if status is ProjectStatus.in_production:
        start = min(signed + timedelta(days=rng.randint(60, 240)), date(2025, 12, 31))
    else:
        start = date(2026, 1, 1) + timedelta(days=rng.randint(30, 600))
    short_zh = owner.name_zh.removeprefix("天津").removesuffix("有限公司")
    short_en = owner.name_en.removeprefix("Tianjin ").removesuffix(" Co., Ltd.")
    record = ProjectCreate(
        name_zh=f"{short_zh}{kind_zh}",
        name_en=f"{short_en} {kind_en}",
        investment_yuan=investment,
        expected_output_yuan=output,
        status=status,
        signed_on=signed,
        production_start=max(start, signed),
        synthetic=True,
    )
    return DemoProject(record, owner.name_zh)
