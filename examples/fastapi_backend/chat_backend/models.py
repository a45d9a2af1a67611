"""Request bodies, as pydantic v2 models mirroring the contract's schemas.

Every body model is closed (`extra="forbid"`, the contract's `additionalProperties: false`) and
strict (no `"5"` for an int). Fields a merge patch may leave out default to `None` without
admitting an explicit `null` unless the contract does: a default is not validated.
"""

from __future__ import annotations

from typing import Annotated, Literal

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, model_validator

from .scalars import Integer, UUIDStr, secret, unique

Text = StringConstraints  # short alias for the many bounded strings below


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Patch(Body):
    """A merge patch: at least one field (the contract's `minProperties: 1`)."""

    @model_validator(mode="after")
    def _not_empty(self):  # noqa: ANN202
        if not self.model_fields_set:
            raise ValueError("At least one field is required")
        return self


class SecretBody(Body):
    """A body holding `writeOnly` secrets: no 422 may echo them (see scalars.secret)."""

    secrets: ClassVar[tuple[str, ...]] = ()
    # Keeps the values out of `str(error)` too, i.e. out of logs.
    model_config = ConfigDict(extra="forbid", strict=True, hide_input_in_errors=True)

    @model_validator(mode="before")
    @classmethod
    def _wrap_secrets(cls, data: Any) -> Any:
        # Before any field is validated, so even an error about another field (whose `input` is
        # the whole body) carries the wrapper, never the value.
        if isinstance(data, dict):
            # An unknown key of a form body may itself be a secret (`username=bob&<password>`, or
            # JSON sent labelled as a form): it is reported under a placeholder name, its value
            # wrapped, so that extra_forbidden's `loc` and `input` repeat neither.
            known = set(cls.model_fields)
            unknown = [k for k in data if k not in known]
            kept = {k: SecretStr(v) if k in cls.secrets and not isinstance(v, SecretStr) else v
                    for k, v in data.items() if k in known}
            kept.update({f"unknown_field_{n + 1}": SecretStr(str(data[k])) for n, k in enumerate(unknown)})
            return kept
        return data


MetadataKey = Annotated[str, Text(min_length=1, max_length=64)]
Metadata = Annotated[dict[MetadataKey, Annotated[str, Text(max_length=512)]], Field(max_length=16)]
ConversationStatus = Literal["active", "archived"]
Content = Annotated[str, Text(min_length=1, max_length=32000)]
Model = Annotated[str, Text(min_length=1, max_length=100)]
ApiKey = secret(8, 512, r"^[!-~]+$")


class TokenForm(SecretBody):
    """OAuth 2.0 password grant, form-encoded (read with `Annotated[TokenForm, Form()]`)."""

    secrets = ("password",)
    grant_type: Literal["password"] = "password"
    username: Annotated[str, Text(min_length=1, max_length=64)]
    password: secret(1, 256)
    scope: Annotated[str, Text(max_length=200)] = ""


class ConversationCreate(Body):
    title: Annotated[str, Text(max_length=200)] | None = None
    chatbot_id: Annotated[str, Text(min_length=1, max_length=64)] | None = None
    model: Model | None = None
    is_anonymized: bool = False
    metadata: Metadata = Field(default_factory=dict)


class ConversationUpdate(Patch):
    title: Annotated[str, Text(max_length=200)] | None = None
    status: ConversationStatus = None  # type: ignore[assignment]  # absent, never null
    metadata: Metadata = None  # type: ignore[assignment]


class TitleRequest(Body):
    message: Content = None  # type: ignore[assignment]


class ReadMarkerUpdate(Body):
    message_id: UUIDStr | None = None


class Feedback(Body):
    rating: Literal["up", "down"]
    comment: Annotated[str, Text(max_length=2000)] | None = None


Reactions = Annotated[unique(Annotated[str, Text(min_length=1, max_length=32)]), Field(max_length=16)]


class MessageCreate(Body):
    content: Content
    role: Literal["user", "assistant"] = "user"
    parent_id: UUIDStr | None = None
    metadata: Metadata = Field(default_factory=dict)


class MessageUpdate(Patch):
    content: Content = None  # type: ignore[assignment]
    status: Literal["sent", "streaming", "completed", "failed"] = None  # type: ignore[assignment]
    reactions: Reactions = None  # type: ignore[assignment]
    metadata: Metadata = None  # type: ignore[assignment]
    feedback: Feedback | None = None


class ReplyRequest(Body):
    content: Content
    parent_id: UUIDStr | None = None
    model: Model | None = None
    web_search: bool = False
    stream: bool = False


class ProviderCreate(Body):
    name: Annotated[str, Text(min_length=1, max_length=100)]
    api_endpoint: Annotated[str, Text(max_length=2000, pattern=r"^https?://[^\s/$.?#][^\s]*$")]
    models: Annotated[unique(Annotated[str, Text(min_length=1, max_length=100)]),
                      Field(max_length=50)] = Field(default_factory=list)


class ProviderConfigCreate(SecretBody):
    secrets = ("api_key",)
    provider_id: UUIDStr
    api_key: ApiKey
    default_model: Model | None = None


class ProviderConfigUpdate(Patch, SecretBody):
    secrets = ("api_key",)
    api_key: ApiKey = None  # type: ignore[assignment]
    default_model: Model | None = None


class ShareUpsert(Body):
    expiry_days: Annotated[Integer, Field(ge=1, le=365)] | None = None
