"""Every ORM table of fincrm, imported in capability order so that one metadata knows them all.

Used by the migrations and by tests that compare the ORM with the migrated schema.
"""

from fincrm.access import models as access_models
from fincrm.cases import complaints_models, crisis_models, joint_models, testimonials_models
from fincrm.clients import models as clients_models
from fincrm.clients import profile_models
from fincrm.db.base import Base
from fincrm.engagement import community_models, gatherings_models, holds, programmes_models
from fincrm.engagement import models as engagement_models
from fincrm.intelligence import models as intelligence_models
from fincrm.portfolio import models as portfolio_models
from fincrm.products import models as products_models
from fincrm.reports import models as reports_models
from fincrm.team import drills_models, spin_models

metadata = Base.metadata

__all__ = [
    "access_models", "clients_models", "community_models", "engagement_models", "gatherings_models", "holds",
    "intelligence_models", "metadata", "portfolio_models", "products_models", "profile_models", "programmes_models",
    "reports_models", "complaints_models", "joint_models", "crisis_models", "testimonials_models", "drills_models",
    "spin_models",
]  # fmt: skip
