"""Evidence photos: checked by content, stripped of metadata, stored content-addressed, thumbnailed.

What a photo goes through (``inspect_photo``, no database, no files):
  * at most ``max_bytes``; decoded by Pillow, whatever its name says: only JPEG, PNG and WebP, one frame;
  * at most ``max_pixels`` (width × height read from the header before any decoding: a decompression bomb — a
    small file that would decode into gigabytes — is refused without being decoded);
  * EXIF read for the time taken (DateTimeOriginal, its offset, else Asia/Shanghai) and the GPS position
    (WGS-84, what the phone's GNSS gives), which are kept as data in the database; then the image is re-encoded
    without EXIF, XMP or text chunks (orientation applied first, the ICC profile kept), so no metadata
    (device serials, owner names, an exact home position in a photo taken elsewhere) leaves in the file, and a
    polyglot payload hidden in the original bytes does not survive either;
  * the SHA-256 of the stored bytes is the file's address: ``<dir>/<sha[:2]>/<sha>.<ext>``; the thumbnail (JPEG,
    ``thumb_px`` longest side) ``<dir>/thumbs/<sha[:2]>/<sha>.jpg``. Files are written to a temporary name and
    renamed into place (never half a file); the same photo twice is one file.
The database row (``evidence_files``) is written after the file, in the caller's transaction, with a timeline
event and an audit row: a failed write stores nothing; a failed transaction leaves at most an unreferenced file
(harmless: content-addressed, reused by the next upload of the same photo).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from PIL import Image, ImageOps, UnidentifiedImageError

from enforcement.local_time import SHANGHAI
from geo_data import audit, incidents
from geo_data.db import fetch_all, fetch_one
from geo_data.errors import GridCommandError, InvalidInput, NotFound
from geo_data.notify import notify
from geo_data.scope import Scope

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
EXT_OF_MEDIA = {media: ext for media, ext in FORMATS.values()}
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL, _DATETIME = 36867, 36881, 306
_NAME_RE = re.compile(r"^[^/\\\x00-\x1f\x7f]{1,200}$")


class PhotoTooLarge(InvalidInput):
    """More bytes than the limit (HTTP 413)."""


class StoreUnavailable(GridCommandError):
    """The evidence folder cannot be written or read (HTTP 503): an operations problem, not the sender's."""


@dataclass(frozen=True)
class Photo:
    """A checked photo ready to store: the re-encoded bytes and what its EXIF said."""

    data: bytes
    thumbnail: bytes
    media_type: str
    ext: str
    width: int
    height: int
    sha256: str
    taken_at: datetime | None
    lat: float | None
    lng: float | None


def check_name(name: str | None) -> str:
    """The sender's file name, kept for the record only (files are stored by hash): a plain name, no path."""
    name = (name or "").strip()
    if not name:
        return ""
    if not _NAME_RE.match(name) or name in (".", "..") or ".." in name.split("."):
        raise InvalidInput("filename: must be a plain file name (no '/', '\\', '..' or control characters, "
                           "at most 200 characters)")
    return name


def _taken_at(exif: Image.Exif) -> datetime | None:
    sub = exif.get_ifd(_EXIF_IFD)
    text = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(text, str):
        return None
    try:
        naive = datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str) and re.fullmatch(r"[+-]\d\d:\d\d", offset.strip("\x00 ")):
        return datetime.fromisoformat(naive.isoformat() + offset.strip("\x00 "))
    return naive.replace(tzinfo=SHANGHAI)


def _degrees(value: Any, ref: Any, negative: str) -> float | None:
    try:
        d, m, s = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60 + s / 3600
    return -deg if str(ref).strip("\x00 ").upper() == negative else deg


def _position(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(_GPS_IFD)
    lat = _degrees(gps.get(2), gps.get(1), "S")
    lng = _degrees(gps.get(4), gps.get(3), "W")
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None, None
    return lat, lng


def inspect_photo(raw: bytes, *, max_bytes: int, max_pixels: int, thumb_px: int) -> Photo:
    """Check ``raw`` by content and re-encode it without metadata (see the module docstring)."""
    if len(raw) > max_bytes:
        raise PhotoTooLarge(f"photo: {len(raw) / 1e6:.1f} MB is more than the {max_bytes / 1e6:.0f} MB allowed")
    if not raw:
        raise InvalidInput("photo: the file is empty")
    not_image = InvalidInput("photo: not a JPEG, PNG or WebP image (checked by content, not by name)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(raw), formats=list(FORMATS))
            if img.width * img.height > max_pixels:
                raise InvalidInput(f"photo: {img.width}×{img.height} pixels is more than the {max_pixels:,} "
                                   "allowed (a decompression bomb, or far larger than any evidence photo)")
            if getattr(img, "n_frames", 1) > 1:
                raise InvalidInput("photo: animated images are not accepted")
            img.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        if isinstance(exc, UnidentifiedImageError):
            raise not_image from None
        raise InvalidInput("photo: refused as a decompression bomb") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(f"photo: damaged or truncated image ({type(exc).__name__})") from None
    fmt = img.format or ""
    if fmt not in FORMATS:
        raise not_image
    media_type, ext = FORMATS[fmt]
    exif = img.getexif()
    taken_at = _taken_at(exif)
    lat, lng = _position(exif)
    icc = img.info.get("icc_profile")
    upright = ImageOps.exif_transpose(img)
    out = io.BytesIO()
    if fmt == "JPEG":
        clean = upright if upright.mode in ("RGB", "L") else upright.convert("RGB")
        clean.save(out, "JPEG", quality=90, icc_profile=icc)
    elif fmt == "PNG":
        upright.save(out, "PNG", icc_profile=icc)
    else:
        upright.save(out, "WEBP", quality=90, icc_profile=icc)
    data = out.getvalue()
    thumb = upright.convert("RGB")
    thumb.thumbnail((thumb_px, thumb_px))
    tout = io.BytesIO()
    thumb.save(tout, "JPEG", quality=80)
    return Photo(data=data, thumbnail=tout.getvalue(), media_type=media_type, ext=ext, width=upright.width,
                 height=upright.height, sha256=hashlib.sha256(data).hexdigest(), taken_at=taken_at, lat=lat, lng=lng)


class EvidenceStore:
    """The evidence folder: files named by their SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str, ext: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.{ext}"

    def thumb_path(self, sha256: str) -> Path:
        return self.root / "thumbs" / sha256[:2] / f"{sha256}.jpg"

    def _write(self, path: Path, data: bytes) -> None:
        if path.is_file() and path.stat().st_size == len(data):
            return  # content-addressed: the same bytes are there already
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put(self, photo: Photo) -> None:
        """Write the photo and its thumbnail; StoreUnavailable when the folder cannot be written."""
        try:
            self._write(self.path(photo.sha256, photo.ext), photo.data)
            self._write(self.thumb_path(photo.sha256), photo.thumbnail)
        except OSError as exc:
            raise StoreUnavailable("evidence store unavailable: the evidence folder cannot be written "
                                   f"({exc.strerror or type(exc).__name__}); tell the administrator") from None

    def read(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise StoreUnavailable("evidence file missing from the evidence folder; tell the administrator") from None
        except OSError as exc:
            raise StoreUnavailable(f"evidence store unavailable ({exc.strerror or type(exc).__name__})") from None


def add_to_incident(conn: psycopg.Connection[Any], scope: Scope, *, incident_id: int, photo: Photo,
                    store: EvidenceStore, name: str = "", client_id: uuid.UUID | None = None,
                    at: datetime | None = None) -> dict[str, Any]:
    """Store ``photo`` as evidence of an incident the scope may see (Forbidden/NotFound otherwise); the same
    photo (or the same ``client_id``) twice is one record. Adds a timeline event (at ``at``, the sender's time
    of a queued upload, else now) and an audit row."""
    inc = incidents.get_incident(conn, scope, incident_id)
    store.put(photo)
    row = fetch_one(conn, "evidence_insert", {
        "county_code": inc["county_code"], "township_code": inc["township_code"], "incident_id": incident_id,
        "sha256": photo.sha256, "media_type": photo.media_type, "bytes": len(photo.data), "width": photo.width,
        "height": photo.height, "original_name": name, "taken_at": photo.taken_at, "lat": photo.lat,
        "lng": photo.lng, "client_id": client_id, "uploaded_by": scope.actor})
    if row is None:   # already there: by this photo's hash, or by the sender's id of the upload
        found = fetch_one(conn, "evidence_existing", {"incident_id": incident_id, "sha256": photo.sha256,
                                                     "client_id": client_id})
        assert found is not None
        return {**found, "created": False}
    incidents.add_event(conn, county_code=inc["county_code"], incident_id=incident_id, dispatch_id=None,
                        actor=scope.actor, event="evidence", note=name or f"photo {row['id']}",
                        detail={"evidence_id": row["id"], "sha256": photo.sha256, "media_type": photo.media_type,
                                "url": f"/api/v1/evidence/{row['id']}",
                                "thumb_url": f"/api/v1/evidence/{row['id']}/thumb",
                                "taken_at": photo.taken_at.isoformat() if photo.taken_at else None,
                                "lat": photo.lat, "lng": photo.lng}, at=at)
    # the live incident carries its photo count: a photo alone reaches the dispatch page, map and wall by the push
    notify(conn, kind="incident", op="update", id=incident_id, county_code=inc["county_code"],
           township_code=inc["township_code"])
    audit.record_for(conn, scope, "evidence.add", object_type="incident", object_id=incident_id,
                     detail={"evidence_id": row["id"], "sha256": photo.sha256, "bytes": len(photo.data)})
    return {**row, "created": True}


def for_incident(conn: psycopg.Connection[Any], scope: Scope, incident_id: int) -> list[dict[str, Any]]:
    """The evidence of an incident the scope may see, oldest first."""
    incidents.get_incident(conn, scope, incident_id)
    return fetch_all(conn, "evidence_of_incident", {**scope.params, "incident_id": incident_id})


def file_of(conn: psycopg.Connection[Any], scope: Scope, evidence_id: int) -> dict[str, Any]:
    """One evidence record whose incident the scope may see; NotFound otherwise (also for another township's,
    so ids cannot be probed)."""
    row = fetch_one(conn, "evidence_by_id", {**scope.params, "id": evidence_id})
    if row is None:
        raise NotFound(f"evidence {evidence_id} not found")
    return row


def public_row(row: dict[str, Any]) -> dict[str, Any]:
    """A record as the API shows it (times ISO, links to the file and its thumbnail)."""
    out: dict[str, Any] = {k: row[k] for k in ("id", "incident_id", "sha256", "media_type", "bytes", "width", "height",
                               "original_name", "uploaded_by") if k in row}
    for k in ("taken_at", "uploaded_at"):
        out[k] = row[k].isoformat() if row.get(k) else None
    out["lat"], out["lng"] = row.get("lat"), row.get("lng")
    out["url"], out["thumb_url"] = f"/api/v1/evidence/{row['id']}", f"/api/v1/evidence/{row['id']}/thumb"
    if "created" in row:
        out["created"] = row["created"]
    return json.loads(json.dumps(out, default=str))
