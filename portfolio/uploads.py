"""Checking uploaded files by what they contain, not by what they are called."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

# Detected content type -> file name extensions that may carry it.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "image/heic": ("heic", "heif"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
    "application/vnd.oasis.opendocument.text": ("odt",),
    "text/plain": ("txt", "csv", "md"),
}
# Browsers show these inline safely; everything else is offered as a download.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
SNIFF_BYTES = 8192


class UploadRejectedError(ValidationError):
    """A file we will not store. `status_code` is what the API answers with."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__({"file": [message]})
        self.reason = message


class UploadTooLargeError(UploadRejectedError):
    status_code = 413


class UploadTypeError(UploadRejectedError):
    status_code = 415


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str
    size: int
    sha256: str
    name: str


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sniffed block may end inside a multi-byte character; anything earlier must decode.
        return error.start >= len(head) - 3
    return True


def detect_content_type(head: bytes) -> str:
    """The content type the first bytes of a file show, or "" when it is none we know."""
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    return "text/plain" if head and _looks_like_text(head) else ""


def _digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def check_upload(upload: UploadedFile, *, max_bytes: int | None = None) -> CheckedFile:
    """Accept a file only if its content is an allowed type that agrees with its name, and it
    is within the size limit (settings.UPLOAD_MAX_BYTES)."""
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    size = upload.size or 0
    if size > limit:
        raise UploadTooLargeError(
            f"The file is {filesizeformat(size)}; the limit is {filesizeformat(limit)}."
        )
    if size == 0:
        raise UploadRejectedError("The file is empty.")
    name = (upload.name or "upload").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    content_type = detect_content_type(head)
    if content_type not in ALLOWED_TYPES:
        raise UploadTypeError(
            "This kind of file is not accepted. Upload a PDF, an image (PNG, JPEG, GIF, WebP, "
            "HEIC), an office document (DOCX, XLSX, PPTX, ODT) or plain text."
        )
    allowed_extensions = ALLOWED_TYPES[content_type]
    if extension not in allowed_extensions:
        said = f".{extension}" if extension else "no extension"
        raise UploadTypeError(
            f"The file's content is {allowed_extensions[0].upper()}, but its name says {said}. "
            "Rename it or upload the right file."
        )
    return CheckedFile(
        content_type=content_type,
        extension=extension,
        size=size,
        sha256=_digest(upload),
        name=name,
    )
