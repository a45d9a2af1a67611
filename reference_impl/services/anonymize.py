"""Replace personal data (e-mail addresses, phone numbers) with stable placeholders."""

from __future__ import annotations

import re

__all__ = ["anonymize"]

# Bounded as real addresses and numbers are (RFC 5321 lengths; E.164 plus spacing): the
# contract caps each `deanonymization_mapping` value at 512 characters.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d ()\-.]{6,30}\d(?![\w])")


def anonymize(text: str, mapping: dict[str, str]) -> str:
    """`text` with placeholders; `mapping` (placeholder -> original) is extended in place."""
    reverse = {original: placeholder for placeholder, original in mapping.items()}

    def replacer(kind: str):
        def replace(match: re.Match) -> str:
            original = match.group(0)
            if original not in reverse:
                count = sum(1 for p in mapping if p.startswith(f"<{kind}_")) + 1
                placeholder = f"<{kind}_{count}>"
                mapping[placeholder] = original
                reverse[original] = placeholder
            return reverse[original]
        return replace

    text = _EMAIL.sub(replacer("EMAIL"), text)
    return _PHONE.sub(replacer("PHONE"), text)
