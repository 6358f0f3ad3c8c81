"""A slip image the way a Thai banking app draws one: the bank's colour band, "Transfer
successful", sender and receiver with masked accounts, the amount, the reference, and the
slip's mini QR (segno) in the corner. Drawn with Pillow's built-in font so the same transfer
gives the same picture on every machine."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from saphan.easyslip.banks import BY_CODE

#: Suffix -> Pillow format name.
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".gif": "GIF"}
_COLOURS = {
    "002": (30, 66, 159),
    "004": (0, 166, 81),
    "006": (0, 161, 224),
    "011": (0, 86, 164),
    "014": (78, 42, 132),
    "025": (254, 196, 0),
    "030": (235, 25, 141),
}
_TRUEMONEY = (255, 130, 0)
WIDTH, HEIGHT = 640, 960


@dataclass(frozen=True, slots=True)
class SlipText:
    """What the slip shows, already masked."""

    payload: str
    bank_code: str
    title: str
    date: str
    amount: Decimal
    sender_name: str
    sender_line: str
    receiver_name: str
    receiver_line: str
    reference: str


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def render(slip: SlipText, *, qr_scale: int = 5) -> Image.Image:
    """The slip as an RGB image (640x960)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    colour = _COLOURS.get(slip.bank_code, _TRUEMONEY if not slip.bank_code else (60, 60, 60))
    draw.rectangle((0, 0, WIDTH, 130), fill=colour)
    bank = BY_CODE.get(slip.bank_code)
    header = bank.name_en if bank else "TrueMoney Wallet"
    draw.text((40, 36), header, font=_font(34), fill=(255, 255, 255))
    draw.text((40, 84), slip.title, font=_font(24), fill=(255, 255, 255))
    draw.text((40, 160), slip.date, font=_font(22), fill=(90, 90, 90))
    y = 220
    for label, name, line in (
        ("From", slip.sender_name, slip.sender_line),
        ("To", slip.receiver_name, slip.receiver_line),
    ):
        draw.text((40, y), label, font=_font(20), fill=(120, 120, 120))
        draw.text((40, y + 28), name, font=_font(28), fill=(20, 20, 20))
        draw.text((40, y + 66), line, font=_font(22), fill=(90, 90, 90))
        y += 130
    draw.line((40, y, WIDTH - 40, y), fill=(220, 220, 220), width=2)
    draw.text((40, y + 24), "Amount", font=_font(20), fill=(120, 120, 120))
    draw.text((40, y + 52), f"{slip.amount:,.2f} THB", font=_font(40), fill=(20, 20, 20))
    draw.text((40, y + 120), "Reference", font=_font(20), fill=(120, 120, 120))
    draw.text((40, y + 148), slip.reference, font=_font(22), fill=(20, 20, 20))
    qr = segno.make(slip.payload, error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=qr_scale, border=4)
    buffer.seek(0)
    code = Image.open(buffer).convert("RGB")
    image.paste(code, (WIDTH - code.width - 30, HEIGHT - code.height - 30))
    draw.text((40, HEIGHT - 70), "Scan to verify", font=_font(18), fill=(150, 150, 150))
    return image


def encode(image: Image.Image, fmt: str, *, quality: int = 90) -> bytes:
    """The image as ``fmt`` (PNG, JPEG, WEBP, GIF) bytes."""
    buffer = io.BytesIO()
    if fmt == "JPEG" or fmt == "WEBP":
        image.save(buffer, fmt, quality=quality)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def format_for(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"Write .png, .jpg, .jpeg, .webp or .gif, not {path.suffix or 'none'}")
    return fmt
