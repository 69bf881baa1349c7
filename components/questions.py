"""Where the questions of a customer message are (for messages that ask two at once)."""

from __future__ import annotations

import re

#: Where a second question starts inside a sentence: "et" (or Québec's "pis": "vous livrez au
#: Québec pis combien de temps ça prend", QA pass 10) followed by a word that starts a
#: question ("... et combien de temps ... ?", "... et vous livrez en Suisse ?", "... et il y a
#: des frais ?") or by a wish with "aussi" ("... et je voudrais aussi changer la taille":
#: without "aussi", "J'ai une boutique et je voudrais savoir si..." is one question); "et
#: aussi"; "et si" ("..., et si je paierai des taxes": QA pass 11); or "aussi," opening a
#: clause ("Mon code ne marche pas. Aussi, le paiement ..."). Not a comma before "combien",
#: "quand"...: "J'ai commandé lundi, quand vais-je la recevoir ?" is one question.
SECOND_QUESTION = re.compile(
    r"\b(?:et|(?<!tant\s)pis)\s+(?:aussi|est[- ]ce|combien|comment|quand|où|pourquoi|"
    r"quel(?:le)?s?|puis[- ]je|"
    r"pouvez|peut[- ]on|peux|je\s+peux|on\s+peut|y\s+a|il\s+y\s+a|c'est|sinon|vous|si|"
    r"(?:je\s+(?:veux|voudrais|voulais|souhaite|souhaiterais)|j['’]aimerais)\s+aussi)\b"
    r"|(?:(?<=^)|(?<=[.,;!]\s)|(?<=[.,;!]))aussi\s*,",
    re.IGNORECASE)
#: "et" opening a question with the subject after its verb ("... et la livraison est-elle
#: gratuite ?"), a second question only after a piece that is itself a question (starts
#: with :data:`INTERROGATIVE`): after "J'habite en Suisse", it is the only question.
INVERTED_QUESTION = re.compile(
    r"\bet\s+(?:[\w'’]+\s+){1,3}\w+-(?:t-)?(?:il|elle|ils|elles|on)\b", re.IGNORECASE)
#: How a question opens: an interrogative word, or a verb with its subject after it.
INTERROGATIVE = re.compile(
    r"\s*(?:(?:bonjour|bonsoir|salut|hello)\W+)?(?:quel(?:le)?s?|combien|comment|quand|où|ou|"
    r"pourquoi|est[- ]ce|y\s+a[- ]t[- ]il|\w+-(?:t-)?(?:vous|il|elle|ils|elles|on|je)\b)",
    re.IGNORECASE)
#: Where a second question may start in a message the classifier is unsure of as a whole
#: (``broad``): any "et" ("Mon code promo ne marche pas et la page de paiement plante"), and
#: any new sentence ("Je n'ai pas reçu l'e-mail de confirmation. Mon paiement est en
#: attente.": QA pass 9).
ANY_AND = re.compile(r"\b(?:et|(?<!tant\s)pis)\b|(?<=[.!;…])\s+\S", re.IGNORECASE)
#: Text after the last "?" is a question of its own in ``broad`` mode when it has at least
#: this many words ("Combien de temps pour l'expédition ? Mon code promo ne fonctionne pas
#: non plus.").
MIN_TRAILING_WORDS = 4
#: A piece of text up to and including a run of question marks.
QUESTION = re.compile(r"[^?]*\?+")
#: A question needs at least this many words ("Et ?" is not one).
MIN_WORDS = 2
WORD = re.compile(r"\w+")


def question_spans(text: str, broad: bool = False) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the questions a message asks, in reading order.

    Pieces ending with "?" are questions; a piece is split again where "et" starts a new
    interrogative clause ("Combien coûte la livraison et est-ce que vous livrez en Suisse ?"
    gives two spans), or, in a piece that opens as a question, a question with the subject
    after its verb ("Quel délai et la livraison est-elle gratuite ?"). Text after the last
    "?" is ignored unless there is no "?" at all: then the whole message is one piece, split
    the same way at "et" clauses. Pieces of fewer than two words are dropped. Examples:
    "Quels délais ? Et la douane ?" -> 2 spans; "J'ai commandé lundi. Rien reçu, que faire ?"
    -> 1 span; "" -> [].

    ``broad``, for a message the classifier is unsure of as a whole: every "et" may start a
    question, and text of :data:`MIN_TRAILING_WORDS` or more words after the last "?" is one
    (callers keep a split only when each piece is confidently classified).
    """
    pieces = [(m.start(), m.end()) for m in QUESTION.finditer(text)] or [(0, len(text))]
    if broad and pieces[-1][1] < len(text):
        trailing = (pieces[-1][1], len(text))
        if len(WORD.findall(text[trailing[0]:])) >= MIN_TRAILING_WORDS:
            pieces.append(trailing)
    spans = []
    for start, end in pieces:
        cuts = [m.start() for m in SECOND_QUESTION.finditer(text, start, end) if m.start() > start]
        if broad:
            cuts = sorted({*cuts, *(m.start() for m in ANY_AND.finditer(text, start, end)
                                    if m.start() > start)})
        elif INTERROGATIVE.match(text, start):
            cuts = sorted({*cuts, *(m.start() for m in INVERTED_QUESTION.finditer(text, start, end)
                                    if m.start() > start)})
        for piece_start, piece_end in zip([start, *cuts], [*cuts, end], strict=True):
            if len(WORD.findall(text[piece_start:piece_end])) >= MIN_WORDS:
                spans.append((piece_start, piece_end))
    return spans
