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

from saphan.easyslip.errors import ImageSizeTooLarge, InvalidImageFormat, InvalidImageType

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
    """The image's format, or the documented error: too large, not an image type we take."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageSizeTooLarge()
    if not data:
        raise InvalidImageFormat("The image is empty")
    kind = sniff(data)
    if kind is None:
        raise InvalidImageType()
    return kind


def from_base64(text: str) -> bytes:
    """Bytes of a base64 image, with or without a ``data:image/...;base64,`` prefix."""
    text = text.strip()
    match = _DATA_URL.match(text)
    if match:
        mime, params = match.group(1).lower(), (match.group(2) or "").lower()
        if mime and not mime.startswith("image/"):
            raise InvalidImageType(f"A data URL of type {mime} is not an image")
        if "base64" not in params:
            raise InvalidImageFormat("The data URL is not base64-encoded")
        text = text[match.end() :]
    if (len(text) * 3) // 4 > MAX_IMAGE_BYTES + 3:
        raise ImageSizeTooLarge()
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidImageFormat("base64 is not valid base64") from exc


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
                raise InvalidImageFormat(f"The image is too large ({width}x{height} pixels)")
            if (image.format or "").lower() not in FORMATS:
                raise InvalidImageType()
            if image.format == "JPEG":
                image.draft("L", image.size)  # skips the colour work: QR codes are grey
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidImageFormat() from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidImageFormat("The image is too large") from exc
    picture: Image.Image = image if image.mode in ("L", "RGB") else image.convert("RGB")
    quick = zxingcpp.read_barcodes(
        picture, formats=_QR, try_rotate=False, try_downscale=False, try_invert=False
    )
    texts = [r.text for r in quick if r.valid and r.text]
    if any(wanted(text) for text in texts):
        return texts
    results = zxingcpp.read_barcodes(picture, formats=_QR)
    return [r.text for r in results if r.valid and r.text]
