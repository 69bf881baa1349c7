"""Order numbers and e-mail addresses as customers type them.

An order number is what the invoice shows (FAQ, Commande 1: "le numéro de commande est
identique à l'identifiant de la facture"): digits, or 1-4 letters followed by digits.
Customers write it ``104522``, ``#104522``, ``n°104522``, ``n° 104 522``, ``104-522``,
``104.522``, ``commande: 104522``, ``cmd104522`` or ``CMD-104522`` (QA pass 11), digit by digit
``1 0 4 5 0 1`` or in words ``cent quatre mille cinq cent un`` (QA pass 12): all of these
give the canonical digits. A date (``28/11/2026``) is not an order number.
"""

from __future__ import annotations

import re
import unicodedata

from text_to_num import alpha2digit

#: Longest canonical order number accepted (characters).
MAX_ORDER_NUMBER_LENGTH = 20
#: Fewest digits an order number has.
MIN_ORDER_NUMBER_DIGITS = 4

# Words customers put in front of the number; never part of the number itself.
_PREFIX_WORDS = ("commande", "cmde", "cmd", "cde", "numero", "num", "no", "n", "order", "ref",
                 "facture")

EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

# A number: optional letters glued to digits, digits possibly grouped by threes with a space,
# a dot or a hyphen ("104 522", "104.522", "104-522"), not inside a longer word, an e-mail
# address, a decimal number or a date ("28/11/2026", "28-11-2026": QA pass 4), nor an amount
# of money ("15000 FCFA", "89 €": QA pass 5). The NLU's regex (data/nlu/orders.yml) has the
# same currency guard.
CURRENCY_AFTER = (r"\s?(?:[€$£]|(?:eur|euros?|fcfa|cfa|xof|xaf|chf|usd|cad|gbp|mad|dh|dhs|dzd|"
                  r"da|tnd|dt|francs?|dollars?|dinars?|dirhams?)\b)")
_NUMBER_PATTERN = re.compile(
    r"(?<![\w@.,/-])(?P<letters>[A-Za-z]{0,9})(?:(?<=[A-Za-z])-)?(?P<digits>\d+(?:[ .-]\d{3})*)"
    r"(?![\w@/]|[.,/-]\d|" + CURRENCY_AFTER + ")", re.IGNORECASE
)
_DIGIT_SEPARATORS = str.maketrans("", "", " .-")
#: A French phone number typed without spaces ("0612345678", "+33612345678"): never an
#: order number (QA pass 15: "mon numéro de téléphone c'est 0612345678" was looked up).
PHONE_NUMBER = re.compile(r"(?:0|33)[1-9]\d{8}")
_KEYWORD_BEFORE = re.compile(
    r"(?:#|n°|nº|no\.?|num(?:ero)?\.?|commande|cmde?|cde|order|facture)\s*[:.]?\s*$",
    re.IGNORECASE,
)
# A number the customer corrects away ("c'est la 104513, pas la 104511", "non pas le 104511",
# "c'est pas la 104511", "au lieu de la 104511", "la 104513 et non la 104511": QA pass 7),
# read on accent-folded text. Only a correction: "pas" opening a clause (after a comma, a
# number, "et", "mais", "c'est"), not "je n'ai toujours pas la 104522", which names the
# order the customer is asking about.
_NEGATED_BEFORE = re.compile(
    r"(?:(?:^|[,;.!?:(]|\d|\bet|\bmais|\bc'?est|\bce\s+n'?\s?est)\s*(?:non\s+)?pas"
    r"|\bet\s+non|au\s+lieu\s+d[eu]|plutot\s+que)\s+"
    r"(?:(?:celle|celui)\s+(?:de\s+)?)?(?:(?:la|le|l'|du|ma|mon)\s*)?"
    r"(?:commande\s*|numero\s*|cmde?\s*)?(?:#|n°|nº|no\.?)?\s*$",
    re.IGNORECASE,
)


# Digits typed one by one ("1 0 4 5 0 1") or read out in words and turned into digits by
# text2num ("un zéro quatre cinq zéro un" -> "1 04 5 01"): three or more groups of one or two
# digits separated by single spaces, 5-8 digits in all (a phone number has 10).
_SPACED_DIGITS = re.compile(r"(?<![\d.,/-])\d{1,2}(?: \d{1,2}){2,7}(?![\d.,/])")


def _spoken_digits(text: str) -> str:
    """``text`` with numbers in French words as digits (text2num: "cent quatre mille cinq
    cent un" -> "104501") and spaced digit runs joined ("1 0 4 5 0 1" -> "104501")."""

    def joined(match: re.Match[str]) -> str:
        digits = match.group(0).replace(" ", "")
        return digits if 5 <= len(digits) <= 8 else match.group(0)

    # threshold=0: "un zéro quatre..." is digits too ("un" alone stays a word by default);
    # text2num needs the accent of "zéro", so this reads the text before accent folding.
    return _SPACED_DIGITS.sub(joined, alpha2digit(text, "fr", threshold=0))


def fold_accents(text: str) -> str:
    """NFKC-normalise and strip accents (``numéro`` -> ``numero``, ``ＯＵＩ`` -> ``OUI``; keeps
    ``°``); the case is kept."""
    text = unicodedata.normalize("NFKC", text)
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def canonical_order_number(raw: str) -> str | None:
    """Return the canonical form of a single order number, or ``None`` if it is not one.

    Removes spaces, ``#`` and ``n°``-style prefixes, upper-cases letters. A valid result is
    0-4 letters followed by at least 4 digits, at most 20 characters. Examples:
    ``"#104 522"`` -> ``"104522"``, ``"fr20931"`` -> ``"FR20931"``, ``"abc"`` -> ``None``.
    """
    candidates = order_number_candidates(raw)
    return candidates[0] if candidates else None


def order_number_candidates(text: str) -> list[str]:
    """Find the order numbers a customer's message may contain, most likely first.

    Args:
        text: free text, e.g. ``"où en est ma commande n° 104 522 ?"``; e-mail addresses
            in it are ignored. Any length; only the first 2,000 characters are read.

    Returns:
        Canonical numbers (upper case, no separators), without duplicates. Numbers
        preceded by a keyword (``#``, ``n°``, ``commande``, ``cmd``...) come first; numbers
        the customer says are not the one (``"la 104513, pas la 104511"``, ``"au lieu de
        la 104511"``) come last. A token
        such as ``cmd104522`` yields both ``104522`` and ``CMD104522``, since the letters
        may be a prefix word or part of the number (the bare digits come first). Empty when
        there is nothing that looks like an order number. Only when the digits as typed
        give nothing are numbers in words and digits typed one by one read
        (:func:`_spoken_digits`), so "mille mercis" never competes with a typed number.
    """
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text[:2000])
    return (_candidates(EMAIL_PATTERN.sub(" ", fold_accents(text)))
            or _candidates(EMAIL_PATTERN.sub(" ", fold_accents(_spoken_digits(text)))))


def _candidates(folded: str) -> list[str]:
    """The order numbers of accent-folded text, as :func:`order_number_candidates` orders
    them."""
    preferred: list[str] = []
    others: list[str] = []
    negated: list[str] = []
    for match in _NUMBER_PATTERN.finditer(folded):
        letters = match.group("letters").upper()
        digits = match.group("digits").translate(_DIGIT_SEPARATORS)
        if len(digits) < MIN_ORDER_NUMBER_DIGITS or (
                not letters and PHONE_NUMBER.fullmatch(digits)):
            continue
        keyword_before = bool(_KEYWORD_BEFORE.search(folded[: match.start()]))
        found: list[str] = []
        if letters.lower() in _PREFIX_WORDS:
            found = [digits, letters + digits] if letters else [digits]
            keyword_before = True
        elif len(letters) <= 4:
            found = [letters + digits]
        is_negated = bool(_NEGATED_BEFORE.search(folded, 0, match.start()))
        for number in found:
            if len(number) > MAX_ORDER_NUMBER_LENGTH:
                continue
            target = negated if is_negated else preferred if keyword_before else others
            if number not in preferred + others + negated:
                target.append(number)
    return preferred + others + negated


def normalize_email(raw: str | None) -> str | None:
    """Return the first e-mail address in ``raw``, trimmed and lower-cased, or ``None``.

    ``"  Marie.Dupont@Example.COM "`` -> ``"marie.dupont@example.com"``.
    """
    if not raw:
        return None
    match = EMAIL_PATTERN.search(unicodedata.normalize("NFKC", raw[:2000]))
    return match.group(0).lower() if match else None
