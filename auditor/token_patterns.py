"""spaCy Matcher token patterns, checked without importing spaCy.

The same shape as spaCy's own schema (`spacy.schemas.TokenPattern`): known attributes, a string
or a set operation (`IN`, `NOT_IN`, `REGEX`, ...) per attribute, booleans for flags, an `OP`.
The Matcher checks the patterns again when nlp/matching.py builds it (`validate=True`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    create_model,
    field_validator,
)

#: Attributes whose value is a string, and boolean flags, as spaCy's schema names them.
TEXT_ATTRS = (
    "ORTH",
    "TEXT",
    "LOWER",
    "POS",
    "TAG",
    "MORPH",
    "DEP",
    "LEMMA",
    "SHAPE",
    "ENT_TYPE",
    "ENT_ID",
    "ENT_KB_ID",
    "NORM",
)
FLAG_ATTRS = (
    "SPACY",
    "IS_ALPHA",
    "IS_ASCII",
    "IS_DIGIT",
    "IS_LOWER",
    "IS_UPPER",
    "IS_TITLE",
    "IS_PUNCT",
    "IS_SPACE",
    "IS_BRACKET",
    "IS_QUOTE",
    "IS_LEFT_PUNCT",
    "IS_RIGHT_PUNCT",
    "IS_CURRENCY",
    "IS_STOP",
    "IS_SENT_START",
    "SENT_START",
    "LIKE_NUM",
    "LIKE_URL",
    "LIKE_EMAIL",
)
_SET_OPS = ("IN", "NOT_IN", "IS_SUBSET", "IS_SUPERSET", "INTERSECTS")
_COMPARISONS = ("==", "!=", ">=", "<=", ">", "<")
_OP = r"^(\{\d+\}|\{\d+,\d*\}|\{\d*,\d+\})$"


class _NoNull(BaseModel):
    """Unknown keys and explicit nulls are errors, as in spaCy's schema."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("None / null is not allowed")
        return value


def _model(name: str, fields: dict[str, Any]) -> type[BaseModel]:
    """A model whose keys may be written upper- or lower-case, as spaCy accepts them."""
    return create_model(
        name,
        __base__=_NoNull,
        **{  # type: ignore[call-overload]
            f"f{n}": (kind | None, Field(None, validation_alias=AliasChoices(key, key.lower())))
            for n, (key, kind) in enumerate(fields.items())
        },
    )


# A nested operation under REGEX or FUZZY is rare; the Matcher checks its inside.
_Nested = StrictStr | dict[StrictStr, Any]
_TextValue = _model(
    "TextValue",
    {
        "REGEX": _Nested,
        **{k: list[StrictStr] for k in _SET_OPS},
        "FUZZY": _Nested,
        **{f"FUZZY{n}": _Nested for n in range(1, 10)},
    },
)
_NumberValue = _model(
    "NumberValue",
    {
        "REGEX": StrictStr,
        **{k: list[StrictInt] for k in _SET_OPS},
        **{k: StrictInt | StrictFloat for k in _COMPARISONS},
    },
)
_Token = _model(
    "Token",
    {
        **{k: StrictStr | _TextValue for k in TEXT_ATTRS},
        **{k: StrictBool for k in FLAG_ATTRS},
        "LENGTH": StrictInt | StrictFloat | _NumberValue,
        "ENT_IOB": Literal["", "I", "O", "B", 0, 1, 2, 3],
        "OP": Literal["+", "*", "?", "!"] | Annotated[str, StringConstraints(pattern=_OP)],
        "_": dict[StrictStr, Any],
    },
)
_PATTERN = TypeAdapter(list[_Token])  # type: ignore[valid-type]


def token_pattern_errors(pattern: list[dict[str, Any]]) -> list[str]:
    """What is wrong with one token pattern (empty when it is valid)."""
    if not pattern:
        return ["a pattern needs at least one token"]
    try:
        _PATTERN.validate_python(pattern)
    except ValidationError as exc:
        return [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
    return []
