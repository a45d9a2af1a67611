"""MODEL-001: random operation sequences judged against the contract's executable model."""

from __future__ import annotations

from ..errors import RequirementFailure
from ..model import ModelFailure, run_model
from .base import Context, expect_status, requirement

# An optional area takes part when the deployment offers it (its operations are not excluded).
AREAS = {"shares": "upsertConversationShare", "attachments": "createAttachment",
         "provider-configs": "createProviderConfig", "providers": "createProvider"}


def _providers(ctx: Context) -> list[str]:
    """Two providers of the run's own, for the sequences' provider configurations."""
    made = []
    for n in (1, 2):
        response = ctx.user1.post("/api/v1/providers", json={"name": f"{ctx.unique}-model-{n}",
                                                             "api_endpoint": "https://llm.example.com/v1"})
        expect_status(response, 201, "Creating a provider for the model's sequences")
        made.append(response.json()["id"])
    return made


@requirement("MODEL-001")
def model_sequences(ctx: Context) -> None:
    areas = frozenset(area for area, op in AREAS.items() if op not in ctx.unsupported_operations)
    providers = _providers(ctx) if {"providers", "provider-configs"} <= areas else []
    clients = {"alice": ctx.user1, "bob": ctx.user2, "anonymous": ctx.anonymous}
    try:
        run_model(clients=clients, spec=ctx.spec, areas=areas, providers=providers, profile=ctx.profile.name,
                  seed=ctx.seed)
    except ModelFailure as failure:
        raise RequirementFailure(summary=failure.text, received=repr(failure.divergence.received)[:300],
                                 documented=repr(failure.divergence.expected)[:300],
                                 exchange=None, operation=failure.divergence.step.method + " " +
                                 failure.divergence.step.path, replay={"curl": failure.curl,
                                                                       "pytest": failure.pytest}) from None
