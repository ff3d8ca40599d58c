"""The directory of mediators: profile, languages, specialities and photo (人民法院在线调解规则 art. 5).

Art. 5 has the basic information of the mediation organisations and mediators on the platform
(their fields of expertise among it) published so that parties can choose. A party sees the
mediators of their own case's organisation (server/domain/assignment.py lets them ask for one);
staff see their organisation's. A mediator writes their own entry; an administrator may too.

The photo is an upload from the public side of the platform's users, shown to parties: it is decoded
with Pillow (a decompression bomb or a file that is not the image it claims to be is refused),
scaled down and re-encoded as a JPEG, so that what is stored and served is pixels this server
wrote, with none of the uploaded file's metadata (EXIF location, comments) or trailing bytes.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain.principal import PartyPrincipal, Principal, Staff, require_staff
from server.domain.vocabulary import DISPUTE_TYPES
from server.errors import FieldError, Forbidden, InvalidInput, NotAuthenticated, NotFound, TooLarge, UnsupportedMediaType
from server.models import Case, MediatorProfile, Organisation, User, utcnow

#: The languages a mediator may mediate in: Mandarin and the languages and dialects spoken where the
#: platform serves (a dispute over grassland may be mediated in Mongolian). Words: web/js/mediators-i18n.js.
LANGUAGES = ("zh", "yue", "mn", "bo", "ug", "kk", "ko", "za", "en")
PHOTO_TYPES = ("image/jpeg", "image/png")
PHOTO_MAX_BYTES = 5 * 1024 * 1024
#: Larger images are refused before they are decoded (Pillow's own bomb guard is far above this).
PHOTO_MAX_PIXELS = 40_000_000
#: The stored photo's longest side.
PHOTO_SIDE = 480
MAX_PROFILE = 1000


@dataclass(frozen=True)
class Entry:
    """A mediator as the directory shows them."""

    user: User
    organisation: Organisation
    profile: MediatorProfile | None

    @property
    def has_photo(self) -> bool:
        return self.profile is not None and self.profile.photo is not None


def reencode_photo(content_type: str, data: bytes) -> bytes:
    """The uploaded image, checked and written again as a JPEG of at most PHOTO_SIDE pixels a side."""
    kind = content_type.split(";")[0].strip().lower()
    if kind not in PHOTO_TYPES:
        raise UnsupportedMediaType(
            "a photo is a JPEG or PNG image", [FieldError("photo", "image/jpeg or image/png", "photo_type")]
        )
    if len(data) > PHOTO_MAX_BYTES:
        raise TooLarge(
            "the photo is too large",
            [FieldError("photo", f"at most {PHOTO_MAX_BYTES} bytes", "file_too_large", {"mb": PHOTO_MAX_BYTES // (1024 * 1024)})],
        )
    unreadable = InvalidInput(
        "the file is not a readable image", [FieldError("photo", "not a readable image", "photo_unreadable")]
    )
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG" if kind == "image/jpeg" else "PNG"]) as image:
            width, height = image.size
            if width * height > PHOTO_MAX_PIXELS:
                raise unreadable
            image.load()
            picture = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise unreadable from err
    picture.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def _codes(values: list[str], allowed: tuple[str, ...], field: str) -> list[str]:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise InvalidInput(f"unknown {field}", [FieldError(field, "one of " + ", ".join(allowed), "choice")])
    return [v for v in allowed if v in values]  # the vocabulary's order, each once


class Directory:
    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self._maker = maker

    async def _organisation_of(self, db: AsyncSession, principal: Principal | None, organisation_id: str | None) -> str:
        """Whose mediators the asker may list: a party, their case's organisation's; staff, their own."""
        if isinstance(principal, PartyPrincipal):
            case = await db.get(Case, principal.case_id)
            assert case is not None
            return case.organisation_id
        if principal is None:
            raise NotAuthenticated("please log in", reason="log_in")
        staff = require_staff(principal)
        if staff.role == "admin" and organisation_id:
            return organisation_id
        if staff.organisation_id is None or (organisation_id and organisation_id != staff.organisation_id):
            raise Forbidden("this is another organisation's directory", reason="another_organisation")
        return staff.organisation_id

    async def entries(self, principal: Principal | None, organisation_id: str | None = None) -> list[Entry]:
        """The active mediators of an organisation, by name, with their profiles."""
        async with self._maker() as db:
            org_id = await self._organisation_of(db, principal, organisation_id)
            return await entries_of(db, org_id)

    async def entry(self, principal: Principal | None, user_id: str) -> Entry:
        async with self._maker() as db:
            return await self._visible(db, principal, user_id)

    async def _visible(self, db: AsyncSession, principal: Principal | None, user_id: str) -> Entry:
        user = await db.get(User, user_id)
        if user is None or user.role != "mediator" or user.organisation_id is None:
            raise NotFound("no such mediator", reason="no_such_mediator")
        if not (isinstance(principal, Staff) and principal.role == "admin"):
            if user.organisation_id != await self._organisation_of(db, principal, None):
                raise NotFound("no such mediator", reason="no_such_mediator")
        org = await db.get(Organisation, user.organisation_id)
        assert org is not None
        return Entry(user, org, await db.get(MediatorProfile, user.id))

    async def photo(self, principal: Principal | None, user_id: str) -> MediatorProfile:
        async with self._maker() as db:
            entry = await self._visible(db, principal, user_id)
            if entry.profile is None or entry.profile.photo is None:
                raise NotFound("this mediator has no photo", reason="no_photo")
            return entry.profile

    async def _editable(self, db: AsyncSession, principal: Principal | None, user_id: str) -> MediatorProfile:
        """A mediator edits their own entry; an administrator anyone's."""
        staff = require_staff(principal, "mediator", "admin")
        if staff.role == "mediator" and staff.user_id != user_id:
            raise Forbidden("a mediator edits their own entry", reason="own_profile_only")
        user = await db.get(User, user_id)
        if user is None or user.role != "mediator":
            raise NotFound("no such mediator", reason="no_such_mediator")
        row = await db.get(MediatorProfile, user_id, with_for_update=True)
        if row is None:
            row = MediatorProfile(user_id=user_id, profile="", languages=[], specialities=[], updated_at=utcnow())
            db.add(row)
        return row

    async def update(
        self, principal: Principal | None, user_id: str, *, profile: str, languages: list[str], specialities: list[str]
    ) -> Entry:
        text = profile.strip()
        if len(text) > MAX_PROFILE:
            raise InvalidInput(
                "too long", [FieldError("profile", f"at most {MAX_PROFILE} characters", "too_long", {"max": MAX_PROFILE})]
            )
        langs = _codes(languages, LANGUAGES, "languages")
        kinds = _codes(specialities, DISPUTE_TYPES, "specialities")
        async with self._maker() as db, db.begin():
            row = await self._editable(db, principal, user_id)
            row.profile, row.languages, row.specialities, row.updated_at = text, langs, kinds, utcnow()
        return await self.entry(principal, user_id)

    async def set_photo(self, principal: Principal | None, user_id: str, *, content_type: str, data: bytes) -> Entry:
        picture = reencode_photo(content_type, data)
        async with self._maker() as db, db.begin():
            row = await self._editable(db, principal, user_id)
            row.photo, row.photo_sha256, row.updated_at = picture, hashlib.sha256(picture).hexdigest(), utcnow()
        return await self.entry(principal, user_id)


async def entries_of(db: AsyncSession, organisation_id: str) -> list[Entry]:
    org = await db.get(Organisation, organisation_id)
    if org is None:
        raise NotFound("no such organisation", reason="no_such_organisation")
    users = list(
        await db.scalars(
            select(User)
            .where(User.organisation_id == organisation_id, User.role == "mediator", User.is_active.is_(True))
            .order_by(User.display_name)
        )
    )
    profiles = {
        p.user_id: p for p in await db.scalars(select(MediatorProfile).where(MediatorProfile.user_id.in_([u.id for u in users])))
    }
    return [Entry(u, org, profiles.get(u.id)) for u in users]
