"""What callers may send and what they get back (the API's Create/Public shapes).

Table models never leave the hub directly: each public shape lists the fields a caller may see.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)

from hub.domain.addresses import clean_address
from hub.domain.preparedness import KitItem
from hub.domain.vocab import (
    AnnouncementPriority,
    CheckInStatus,
    NeedCategory,
    OfferCategory,
    SignalCategory,
    SpecialAttention,
    Urgency,
)

Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=280)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
# How many people: a JSON integer (``true`` or ``"3"`` are refused, not read as 1 or 3).
People = Annotated[int, Strict(), Field(ge=1, le=50)]
# The id of a record this one points to; to point to none, leave it out or send null (never "").
RecordId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=26)]


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("a date and time between the years 1 and 9999 (in UTC)") from exc


# A moment: with its time zone (``Z`` or ``+01:00``), kept in UTC.
Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_chars(cls, value: object) -> object:
        if isinstance(value, str) and not value.isprintable():  # most text is: kept as it is
            return "".join(ch for ch in value if ch in "\n\t" or ch.isprintable())
        return value


class CheckInCreate(_Input):
    address: Address
    status: CheckInStatus
    people: People | None = None
    note: ShortText | None = None
    # The household's own code from its card: verifies a special-attention household.
    code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None

    @field_validator("address")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_address(value)


class NeedCreate(_Input):
    address: Address
    category: NeedCategory
    urgency: Urgency = "normal"
    description: LongText

    @field_validator("address")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_address(value)


class OfferCreate(_Input):
    category: OfferCategory
    description: LongText
    address: Address | None = None
    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None


class SignalCreate(_Input):
    """A concern about a place or a person; the address is optional (a street, a flat)."""

    category: SignalCategory
    description: LongText
    life: bool = False
    address: Address | None = None
    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None

    @field_validator("address")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return clean_address(value) if value is not None else None


class Consent(_Input):
    given_by: Name
    share_upstream: bool = False
    # The partner organisations (their ids) the household shares with, one by one; its contact
    # goes to a partner only when that partner is in ``share_contact`` as well.
    share_partners: list[RecordId] = Field(default_factory=list, max_length=50)
    share_contact: list[RecordId] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _contact_with_consent(self) -> Consent:
        if set(self.share_contact) - set(self.share_partners):
            raise ValueError("share_contact names a partner that is not in share_partners")
        return self


class HouseholdCreate(_Input):
    address: Address
    special_attention: list[SpecialAttention] = Field(min_length=1, max_length=8)
    consent: Consent
    people: People | None = None
    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    note: ShortText | None = None
    registered_by: Annotated[str, StringConstraints(pattern="^(self|neighbour|coordinator)$")] = "self"
    buddy_volunteer_id: RecordId | None = None

    @field_validator("address")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_address(value)

    @field_validator("special_attention")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class AnnouncementCreate(_Input):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    priority: AnnouncementPriority = "info"
    send_mesh: bool = False
    send_upstream: bool = True
    expires_at: Moment | None = None
    translations: dict[str, dict[str, str]] = Field(default_factory=dict)


class Created(BaseModel):
    """The answer to a resident's submission: enough to confirm, nothing more."""

    id: str
    created_at: datetime
    kind: str


class CheckInPublic(Created):
    address: str
    status: str
    people: int | None
    verified: bool  # true only with the right household code (a portal or API check-in)


class NeedPublic(Created):
    address: str
    category: str
    urgency: str
    call_112: bool


class SignalPublic(Created):
    category: str
    address: str | None
    call_112: bool


class OfferPublic(Created):
    category: str


class HouseholdPublic(Created):
    address: str
    special_attention: list[str]


class AnnouncementPublic(BaseModel):
    id: str
    title: str
    body: str
    priority: str
    source: str
    created_at: datetime
    expires_at: datetime | None
    translations: dict[str, dict[str, str]]
    drill: bool = False  # an exercise (a drill announcement or a CAP alert with status Exercise)


class SelfCheckCreate(_Input):
    """The portal's preparedness self-check (anonymous; the address is optional)."""

    items: list[KitItem] = Field(default_factory=list, max_length=9)
    check_on: bool = False
    checked_by: bool = False
    people: People | None = None
    address: Address | None = None

    @field_validator("address")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return clean_address(value) if value else None

    @field_validator("items")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class VolunteerOfferCreate(_Input):
    """A resident offers to be a volunteer (a coordinator approves it)."""

    name: Name
    address: Address
    contact: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=80)]
    skills: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    has_handset: bool

    @field_validator("address")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_address(value)
