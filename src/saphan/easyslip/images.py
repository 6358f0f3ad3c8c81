"""Slip images: the format told from the bytes (never from a name or a declared type), the size
limit, and every QR code in the image read with zxing-cpp."""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from collections.abc import Callable

import zxingcpp
from PIL import Image, UnidentifiedImageError

from saphan.easyslip.errors import ImageSizeTooLarge, InvalidImageFormat

#: 4 MB, as EasySlip counts it (4,194,304 bytes).
MAX_IMAGE_BYTES = 4 * 1024 * 1024
#: Larger images are refused before they are decoded (a small file can hold a huge canvas).
MAX_PIXELS = 40_000_000
FORMATS = ("jpeg", "png", "gif", "webp")
_QR = zxingcpp.barcode_formats_from_str("QRCode")
_DATA_URL = re.compile(r"data:([^;,]*)(;[^,]*)?,", re.IGNORECASE)


def sniff(data: bytes) -> str | None:
    """``"jpeg"``, ``"png"``, ``"gif"`` or ``"webp"`` from the file's signature, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_image(data: bytes) -> str:
    """The image's format, or the documented error, size first: over 4 MB
    IMAGE_SIZE_TOO_LARGE, then anything that is not a JPEG, PNG, GIF or WebP
    INVALID_IMAGE_FORMAT ("File is not a valid image ... Use JPEG, PNG, GIF, WebP"). A URL's
    answer that is no image is INVALID_IMAGE_TYPE instead (``fetch``)."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageSizeTooLarge()
    kind = sniff(data)
    if kind is None:
        raise InvalidImageFormat()
    return kind


def from_base64(text: str) -> bytes:
    """Bytes of a base64 image, with or without a ``data:image/...;base64,`` prefix. Size
    first (IMAGE_SIZE_TOO_LARGE), then the text itself (INVALID_IMAGE_FORMAT: a data URL of
    another type or not marked base64, or no valid base64)."""
    text = text.strip()
    match = _DATA_URL.match(text)
    body = text[match.end() :] if match else text
    if (len(body) * 3) // 4 > MAX_IMAGE_BYTES + 3:
        raise ImageSizeTooLarge()
    if match:
        mime, params = match.group(1).lower(), (match.group(2) or "").lower()
        if (mime and not mime.startswith("image/")) or "base64" not in params:
            raise InvalidImageFormat()
    try:
        return base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidImageFormat() from exc


def qr_texts(data: bytes, wanted: Callable[[str], bool] = bool) -> list[str]:
    """The QR codes' texts in the image (after ``check_image``), in reading order.

    A quick pass first (JPEGs decoded straight to grey, one orientation, full size): when it
    finds a text that is ``wanted`` (a slip's mini QR), that is the answer. Otherwise zxing-cpp's
    thorough pass (rotations, downscaled and inverted copies) reads every QR code there is."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InvalidImageFormat()
            if (image.format or "").lower() not in FORMATS:
                raise InvalidImageFormat()
            if image.format == "JPEG":
                image.draft("L", image.size)  # skips the colour work: QR codes are grey
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidImageFormat() from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidImageFormat() from exc
    picture: Image.Image = image if image.mode in ("L", "RGB") else image.convert("RGB")
    quick = zxingcpp.read_barcodes(
        picture, formats=_QR, try_rotate=False, try_downscale=False, try_invert=False
    )
    texts = [r.text for r in quick if r.valid and r.text]
    if any(wanted(text) for text in texts):
        return texts
    results = zxingcpp.read_barcodes(picture, formats=_QR)
    return [r.text for r in results if r.valid and r.text]
