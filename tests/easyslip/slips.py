"""Slip images for tests, drawn by the same code as ``saphan easyslip make-slip``, and a second,
independent QR reader (OpenCV) to check them with."""

from __future__ import annotations

import io
import random
from typing import Any

import cv2
import numpy as np
import segno
from PIL import Image, ImageFilter

from saphan.core.runtime import Runtime
from saphan.easyslip import operator
from saphan.easyslip.slipimage import encode
from saphan.easyslip.slips import slip_image


def image_of(runtime: Runtime, slip: Any, fmt: str = "PNG") -> bytes:
    """The slip image of a recorded transfer (``record()``'s answer)."""
    with runtime.db.read() as session:
        row = operator.find_transfer(session, slip.kind, slip.bankCode, slip.transRef)
        assert row is not None
        return slip_image(row, fmt)


def load(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def transformed(data: bytes, fmt: str, *, scale: float = 1.0, rotate: int = 0) -> bytes:
    image = load(data)
    if scale != 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)))
    if rotate:
        image = image.rotate(rotate, expand=True, fillcolor=(255, 255, 255))
    return encode(image, fmt)


def photo_like(data: bytes, seed: int = 7) -> bytes:
    """A phone photo of the slip: tilted, scaled down, blurred, noisy, on a grey desk, JPEG."""
    rng = np.random.default_rng(seed)
    image = load(data).rotate(6, expand=True, fillcolor=(128, 128, 120))
    image = image.resize((round(image.width * 0.8), round(image.height * 0.8)))
    desk = Image.new("RGB", (image.width + 120, image.height + 160), (118, 112, 104))
    desk.paste(image, (50 + random.Random(seed).randrange(20), 70))
    desk = desk.filter(ImageFilter.GaussianBlur(0.8))
    pixels = np.asarray(desk).astype(np.int16)
    pixels += rng.normal(0, 12, pixels.shape).astype(np.int16)
    noisy = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return encode(noisy, "JPEG", quality=70)


def with_other_qr(data: bytes, text: str) -> bytes:
    """The slip with another QR code (e.g. a PromptPay one) pasted in its top-left corner."""
    image = load(data)
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=4, border=4)
    buffer.seek(0)
    image.paste(Image.open(buffer).convert("RGB"), (20, 150))
    return encode(image, "PNG")


def opencv_texts(data: bytes) -> list[str]:
    """What OpenCV's QR detector reads (an independent reader from zxing-cpp): its ArUco-based
    detector (the classic one misses about 1 clean slip in 30), then the classic one."""
    pixels = cv2.cvtColor(np.asarray(load(data)), cv2.COLOR_RGB2BGR)
    for detector in (cv2.QRCodeDetectorAruco(), cv2.QRCodeDetector()):
        ok, texts, _points, _ = detector.detectAndDecodeMulti(pixels)
        found = [t for t in texts if t] if ok else []
        if found:
            return found
    return []
