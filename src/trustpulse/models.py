"""Imports every domain's tables so Base.metadata is complete (Alembic, tests)."""

from trustpulse.accounts import models as accounts_models
from trustpulse.complaints import models as complaints_models
from trustpulse.customers import models as customers_models
from trustpulse.feedback import models as feedback_models
from trustpulse.imports import models as imports_models
from trustpulse.jobs import models as jobs_models
from trustpulse.metrics import models as metrics_models
from trustpulse.metrics import rollup_models as metrics_rollup_models
from trustpulse.notifications import models as notifications_models
from trustpulse.text import models as text_models
from trustpulse.transparency import models as transparency_models

__all__ = [
    "accounts_models",
    "complaints_models",
    "customers_models",
    "feedback_models",
    "imports_models",
    "jobs_models",
    "metrics_models",
    "metrics_rollup_models",
    "notifications_models",
    "text_models",
    "transparency_models",
]
