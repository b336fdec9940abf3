"""Every table of every domain, gathered for migrations and test set-up.

This is the one module allowed to import upward: Alembic needs the whole metadata.
"""

import nevport.auth.models
import nevport.energy.alarms.models
import nevport.energy.analysis.models
import nevport.energy.control.models
import nevport.energy.models
import nevport.environment.models
import nevport.notify.models
import nevport.park.models  # noqa: F401
from nevport.db.base import Base

metadata = Base.metadata
