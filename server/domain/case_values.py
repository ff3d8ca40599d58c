"""How a case's values are written and shown: an amount of money in yuan as a person types it and in
fen as it is stored, and an identity-card number masked for everyone but who may reveal it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from server.errors import FieldError, InvalidInput

MAX_AMOUNT = Decimal("1000000000000")


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return None
    keep = 4 if len(value) > 10 else 2
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def parse_amount(text: str | None) -> int | None:
    """Yuan as written by a person ("12000", "12000.50") to fen."""
    if text is None or text == "":
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidInput("bad amount", [FieldError("amount_in_dispute", "a number of yuan, like 12000.50", "amount")]) from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(
            "bad amount", [FieldError("amount_in_dispute", "zero or more yuan with at most two decimals", "amount")]
        )
    return int(amount * 100)


def format_amount(fen: int | None) -> str | None:
    return None if fen is None else f"{Decimal(fen) / 100:.2f}"
