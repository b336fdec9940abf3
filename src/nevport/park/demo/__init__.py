"""The demo park of the Jingqing Auto Industrial Park: data files, generator, loader."""

from nevport.park.demo.files import DemoDataError
from nevport.park.demo.generate import DemoPark, default_data_dir, load_demo
from nevport.park.demo.seed import SeedReport, seed_demo, total_records

# The firm the demo's enterprise accounts belong to: the article's digital-workshop plant,
# which later systems (workshop, traceability) build on.
DEMO_ACCOUNT_ENTERPRISE = "天津吉兴汽车部件有限公司"

__all__ = [
    "DEMO_ACCOUNT_ENTERPRISE",
    "DemoDataError",
    "DemoPark",
    "SeedReport",
    "default_data_dir",
    "load_demo",
    "seed_demo",
    "total_records",
]
