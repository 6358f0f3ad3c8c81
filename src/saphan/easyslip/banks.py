"""The banks EasySlip knows (reference "Bank codes"), as its bank list shows them: names, short
and SWIFT codes, and the checks ``extraVerify`` may ask of an account registered at each
(EasySlip's partner documentation, "List Banks"; docs/easyslip.md says which page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Every value ``extraVerify`` may take, at one bank or another.
ExtraVerify = Literal["NAME", "NUMBER", "NAME_NUMBER", "MSISDN", "NATID", "EWALLETID"]


@dataclass(frozen=True, slots=True)
class VerifyOption:
    """One value ``extraVerify`` may take, with the label EasySlip shows for it."""

    value: ExtraVerify
    label: str


#: An account at a bank: matched by its name, its number, or both (the documents' labels).
ACCOUNT_CHECKS: tuple[VerifyOption, ...] = (
    VerifyOption("NAME", "ตรวจจาก ชื่อบัญชี อย่างเดียว (ไม่แนะนำ)"),
    VerifyOption("NUMBER", "ตรวจจาก เลขบัญชี อย่างเดียว"),
    VerifyOption("NAME_NUMBER", "ตรวจจาก เลขบัญชีและชื่อบัญชีธนาคาร"),
)
#: A PromptPay account: the kind of proxy its number is.
PROXY_CHECKS: tuple[VerifyOption, ...] = (
    VerifyOption("MSISDN", "เบอร์โทรศัพท์"),
    VerifyOption("NATID", "เลขบัตรประชาชน"),
    VerifyOption("EWALLETID", "E-Wallet ID"),
)
#: The PromptPay proxy a number of this many digits is: phone, national ID, e-wallet ID.
PROXY_BY_LENGTH: dict[int, ExtraVerify] = {10: "MSISDN", 13: "NATID", 15: "EWALLETID"}


@dataclass(frozen=True, slots=True)
class Bank:
    code: str
    short: str
    name_th: str
    name_en: str
    swift: str
    #: What ``extraVerify`` may be for an account here; None: nothing (KShop).
    checks: tuple[VerifyOption, ...] | None = ACCOUNT_CHECKS

    @property
    def check_values(self) -> tuple[ExtraVerify, ...]:
        return tuple(option.value for option in self.checks or ())


BANKS: tuple[Bank, ...] = (
    Bank("002", "BBL", "ธนาคารกรุงเทพ", "Bangkok Bank", "BKKBTHBK"),
    Bank("004", "KBANK", "ธนาคารกสิกรไทย", "Kasikornbank", "KASITHBK"),
    Bank("006", "KTB", "ธนาคารกรุงไทย", "Krungthai Bank", "KRTHTHBK"),
    Bank("011", "TTB", "ธนาคารทหารไทยธนชาต", "TMBThanachart Bank", "TMBKTHBK"),
    Bank("014", "SCB", "ธนาคารไทยพาณิชย์", "Siam Commercial Bank", "SICOTHBK"),
    Bank("022", "CIMBT", "ธนาคารซีไอเอ็มบี ไทย", "CIMB Thai Bank", "UBOBTHBK"),
    Bank("024", "UOBT", "ธนาคารยูโอบี", "United Overseas Bank (Thai)", "UOVBTHBK"),
    Bank("025", "BAY", "ธนาคารกรุงศรีอยุธยา", "Bank of Ayudhya (Krungsri)", "AYUDTHBK"),
    Bank("030", "GSB", "ธนาคารออมสิน", "Government Savings Bank", "GSBATHBK"),
    Bank("033", "GHB", "ธนาคารอาคารสงเคราะห์", "Government Housing Bank", "GOHUTHB1"),
    Bank(
        "034",
        "BAAC",
        "ธนาคารเพื่อการเกษตรและสหกรณ์การเกษตร",
        "Bank for Agriculture and Agricultural Cooperatives",
        "BAABTHBK",
    ),
    Bank(
        "035",
        "EXIM",
        "ธนาคารเพื่อการส่งออกและนำเข้าแห่งประเทศไทย",
        "Export-Import Bank of Thailand",
        "EXTHTHBK",
    ),
    Bank("067", "TISCO", "ธนาคารทิสโก้", "TISCO Bank", "TFPCTHB1"),
    Bank("069", "KKP", "ธนาคารเกียรตินาคินภัทร", "Kiatnakin Phatra Bank", "KKPBTHBK"),
    Bank("070", "ICBCT", "ธนาคารไอซีบีซี (ไทย)", "ICBC (Thai)", "ICBKTHBK"),
    Bank("071", "TCD", "ธนาคารไทยเครดิต", "Thai Credit Bank", "THCETHB1"),
    Bank("073", "LHFG", "ธนาคารแลนด์ แอนด์ เฮ้าส์", "Land and Houses Bank", "LAHRTHB2"),
    Bank(
        "098",
        "SME",
        "ธนาคารพัฒนาวิสาหกิจขนาดกลางและขนาดย่อมแห่งประเทศไทย",
        "SME Development Bank",
        "SMEBTHB1",
    ),
    Bank("PROMPTPAY", "PROMPTPAY", "พร้อมเพย์", "PromptPay", "PROMPTPAY", PROXY_CHECKS),
    Bank("KSHOP", "KSHOP", "เคช็อป", "KShop", "KSHOP", None),
)

BY_CODE: dict[str, Bank] = {b.code: b for b in BANKS}
#: Banks a transfer's sending or receiving account can be held at (three-digit codes).
ACCOUNT_BANKS: tuple[Bank, ...] = tuple(b for b in BANKS if b.code.isdigit())
