"""Hand-written checks (layers 2 and 4), one module per feature area.

Importing this package registers every check under its requirement id.
"""

from . import (  # noqa: F401  (imported for registration)
    attachments,
    auth,
    conversations,
    errors,
    messages,
    model,
    providers,
    replies,
    robustness,
    security,
    shares,
    times,
    write_only,
)
from .base import REGISTRY, Context, SUPPORT_PROBES

__all__ = ["REGISTRY", "Context", "SUPPORT_PROBES"]
