import pytest

from actions.order_numbers import canonical_order_number, normalize_email, order_number_candidates


@pytest.mark.parametrize(
    "text",
    [
        "104522",
        "#104522",
        "n°104522",
        "n° 104 522",
        "N° 104522",
        "commande: 104522",
        "cmd104522",
        "Numéro de commande 104522",
        "où en est ma commande 104522 ?",
        "  104522\n",
        "jvoulais savoir pour ma commande n°104-522",
        "104.522",
        # QA pass 11.
        "référence CMD-104522, pouvez-vous me confirmer la livraison ?",
        "cde-104522",
        # QA pass 12: digit by digit, in words.
        "mon numéro de commande est le 1 0 4 5 2 2",
        "c'est la cent quatre mille cinq cent vingt-deux",
        "un zéro quatre cinq deux deux",
    ],
)
def test_every_customer_spelling_gives_the_same_number(text: str) -> None:
    assert canonical_order_number(text) == "104522"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("FR20931", "FR20931"), ("n°a10452", "A10452"), ("commande #ab90318", "AB90318")],
)
def test_letters_and_digits_are_kept_upper_case(text: str, expected: str) -> None:
    assert canonical_order_number(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "abc", "123", "1 à 2 jours", "29,99 €", "12.50", "marie104522@example.com", "😀😀",
     "x" * 5000, "je l'ai commandé le 28/11/2026", "le 28-11-2026", "28.11.2026",
     "06 12 34 56 78", "ils me demandent 15000 FCFA", "150000 XOF", "payé 104522€",
     "15 000 francs CFA", "250000 dh", "120000$"],
)
def test_text_without_an_order_number_gives_none(text: str) -> None:
    assert canonical_order_number(text) is None


def test_a_number_after_a_keyword_comes_before_other_numbers() -> None:
    assert order_number_candidates("le colis 30451 de ma commande n° 104522") == ["104522",
                                                                                 "30451"]
    # The year of a date is not a candidate.
    assert order_number_candidates("ma commande du 12/11/2026, n° 104522") == ["104522"]


@pytest.mark.parametrize("text", [
    "c'est la 104513 pas la 104511",
    "non pas le 104511 mais le 104513",
    "c'est pas la commande n°104511, c'est la 104513",
    "au lieu de la 104511, regardez la 104513",
    "la 104513 et non la 104511",
    "la 104513 plutôt que la 104511",
    "Pas la 104511 ! La 104513.",
])
def test_a_number_corrected_away_comes_last(text: str) -> None:
    assert order_number_candidates(text) == ["104513", "104511"]


def test_a_number_the_customer_has_not_received_is_not_corrected_away() -> None:
    # "pas" here says the parcel has not come, not that the number is wrong.
    assert order_number_candidates("je n'ai toujours pas la commande 104522, et la 104523 "
                                   "est arrivée")[0] == "104522"


def test_a_glued_prefix_word_yields_the_bare_digits_first() -> None:
    assert order_number_candidates("cmd104522") == ["104522", "CMD104522"]


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Marie.Dupont@Example.COM ") == "marie.dupont@example.com"
    assert normalize_email("mon mail c'est lea_b+shop@example.fr merci") == "lea_b+shop@example.fr"


@pytest.mark.parametrize("text", [None, "", "marie.dupont", "marie@", "@example.com", "104522"])
def test_text_without_an_email_gives_none(text: str | None) -> None:
    assert normalize_email(text) is None


@pytest.mark.parametrize(
    "text",
    ["appelez-moi au 06 12 34 56 78", "j'ai 2 bagues et 3 colliers", "deux colliers",
     "mon numéro de téléphone c'est 0612345678", "joignable au +33612345678"],
)
def test_a_phone_number_or_small_counts_are_not_read_as_spoken_digits(text: str) -> None:
    assert order_number_candidates(text) == []


def test_a_typed_number_wins_over_one_in_words() -> None:
    assert order_number_candidates("mille mercis, c'est la 104522") == ["104522"]
