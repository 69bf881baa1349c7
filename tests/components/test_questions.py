"""Finding the questions of a customer message."""

from __future__ import annotations

import pytest

from components.questions import question_spans


@pytest.mark.parametrize(
    ("text", "questions"),
    [("Combien coûte la livraison et est-ce que vous livrez en Suisse ?",
      ["Combien coûte la livraison", "et est-ce que vous livrez en Suisse ?"]),
     ("Quels sont les délais ? Et les frais de douane ?",
      ["Quels sont les délais ?", "Et les frais de douane ?"]),
     ("délai de livraison et comment annuler", ["délai de livraison", "et comment annuler"]),
     # Québec's "pis" (QA pass 10); "tant pis" is not a question.
     ("vous livrez au Québec pis combien de temps ça prend",
      ["vous livrez au Québec", "pis combien de temps ça prend"]),
     ("tant pis comment je fais alors", ["tant pis comment je fais alors"]),
     # QA pass 11: "et si"; a comma before "quand" is no cut.
     ("je voudrais savoir combien de temps ça prend, et si je paierai des taxes",
      ["je voudrais savoir combien de temps ça prend,", "et si je paierai des taxes"]),
     ("J'ai commandé lundi, quand est-ce que je vais la recevoir ?",
      ["J'ai commandé lundi, quand est-ce que je vais la recevoir ?"]),
     ("Mon code promo marche pas, et je veux aussi changer la taille",
      ["Mon code promo marche pas,", "et je veux aussi changer la taille"]),
     ("Quel est le délai pour la France et la livraison est-elle gratuite ?",
      ["Quel est le délai pour la France", "et la livraison est-elle gratuite ?"]),
     ("Et les frais, sont-ils remboursés ?", ["Et les frais, sont-ils remboursés ?"]),
     ("J'habite en Suisse et les frais de douane sont-ils pour moi ?",
      ["J'habite en Suisse et les frais de douane sont-ils pour moi ?"]),
     ("J'ai une boutique et je voudrais savoir si vous faites des prix de gros ?",
      ["J'ai une boutique et je voudrais savoir si vous faites des prix de gros ?"]),
     ("où est mon colis ?", ["où est mon colis ?"]),
     ("Bonjour ! J'ai commandé un collier. Il n'est pas arrivé, que faire ?",
      ["Bonjour ! J'ai commandé un collier. Il n'est pas arrivé, que faire ?"]),
     ("mon colis et mon bracelet ?", ["mon colis et mon bracelet ?"]),
     ("où est mon colis", ["où est mon colis"]),
     ("Et ? ?", []),
     ("", [])],
)
def test_question_spans(text, questions) -> None:
    assert [text[start:end].strip() for start, end in question_spans(text)] == questions


@pytest.mark.parametrize(
    ("text", "questions"),
    [("Mon code promo ne marche pas et la page de paiement plante",
      ["Mon code promo ne marche pas", "et la page de paiement plante"]),
     ("Combien de temps pour l'expédition ? Mon code promo ne fonctionne pas non plus.",
      ["Combien de temps pour l'expédition ?", "Mon code promo ne fonctionne pas non plus."]),
     ("Je n'ai pas reçu l'email de confirmation. Mon paiement est en attente.",
      ["Je n'ai pas reçu l'email de confirmation.", "Mon paiement est en attente."]),
     # Three words after the last "?" are not a question of their own.
     ("Vous livrez en Suisse ? Merci d'avance.", ["Vous livrez en Suisse ?"])],
)
def test_broad_question_spans_cut_at_any_et_and_after_the_last_question(text, questions,
                                                                        ) -> None:
    spans = question_spans(text, broad=True)
    assert [text[start:end].strip() for start, end in spans] == questions
    assert len(question_spans(text)) == 1
