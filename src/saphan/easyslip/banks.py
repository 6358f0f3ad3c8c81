"""The banks EasySlip knows (reference "Bank codes"), with their names and short codes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bank:
    code: str
    short: str
    name_th: str
    name_en: str


BANKS: tuple[Bank, ...] = (
    Bank("002", "BBL", "ธนาคารกรุงเทพ", "Bangkok Bank"),
    Bank("004", "KBANK", "ธนาคารกสิกรไทย", "Kasikornbank"),
    Bank("006", "KTB", "ธนาคารกรุงไทย", "Krungthai Bank"),
    Bank("011", "TTB", "ธนาคารทหารไทยธนชาต", "TMBThanachart Bank"),
    Bank("014", "SCB", "ธนาคารไทยพาณิชย์", "Siam Commercial Bank"),
    Bank("022", "CIMBT", "ธนาคารซีไอเอ็มบี ไทย", "CIMB Thai Bank"),
    Bank("024", "UOBT", "ธนาคารยูโอบี", "United Overseas Bank (Thai)"),
    Bank("025", "BAY", "ธนาคารกรุงศรีอยุธยา", "Bank of Ayudhya (Krungsri)"),
    Bank("030", "GSB", "ธนาคารออมสิน", "Government Savings Bank"),
    Bank("033", "GHB", "ธนาคารอาคารสงเคราะห์", "Government Housing Bank"),
    Bank(
        "034",
        "BAAC",
        "ธนาคารเพื่อการเกษตรและสหกรณ์การเกษตร",
        "Bank for Agriculture and Agricultural Cooperatives",
    ),
    Bank("035", "EXIM", "ธนาคารเพื่อการส่งออกและนำเข้าแห่งประเทศไทย", "Export-Import Bank of Thailand"),
    Bank("067", "TISCO", "ธนาคารทิสโก้", "TISCO Bank"),
    Bank("069", "KKP", "ธนาคารเกียรตินาคินภัทร", "Kiatnakin Phatra Bank"),
    Bank("070", "ICBCT", "ธนาคารไอซีบีซี (ไทย)", "ICBC (Thai)"),
    Bank("071", "TCD", "ธนาคารไทยเครดิต", "Thai Credit Bank"),
    Bank("073", "LHFG", "ธนาคารแลนด์ แอนด์ เฮ้าส์", "Land and Houses Bank"),
    Bank("098", "SME", "ธนาคารพัฒนาวิสาหกิจขนาดกลางและขนาดย่อมแห่งประเทศไทย", "SME Development Bank"),
    Bank("PROMPTPAY", "PROMPTPAY", "พร้อมเพย์", "PromptPay"),
    Bank("KSHOP", "KSHOP", "แม่มณี / K SHOP", "K SHOP"),
)

BY_CODE: dict[str, Bank] = {b.code: b for b in BANKS}
#: Banks a transfer's sending or receiving account can be held at (three-digit codes).
ACCOUNT_BANKS: tuple[Bank, ...] = tuple(b for b in BANKS if b.code.isdigit())
