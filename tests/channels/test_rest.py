"""Helpers of the hardened REST channel (the HTTP behaviour is in tests/test_bad_input.py)."""

from __future__ import annotations

from rasa.shared.core.events import BotUttered, UserUttered

from channels.rest import MAX_MESSAGE_CHARS, clean_text, neutralize_command, offered_payloads


def test_clean_text_removes_control_characters_and_cuts() -> None:
    assert clean_text("bon\x00jour\x07 à\ttous\n") == "bonjour à\ttous\n"
    assert len(clean_text("x" * 100_000)) == MAX_MESSAGE_CHARS


def test_a_long_message_keeps_its_beginning_and_its_question_at_the_end() -> None:
    story = "Bonjour, commande 104522. " + "Je vous raconte ma vie. " * 200
    text = clean_text(story + "Bref : puis-je cumuler deux codes promo ?")
    assert len(text) == MAX_MESSAGE_CHARS
    assert text.startswith("Bonjour, commande 104522.")
    assert text.endswith("Bref : puis-je cumuler deux codes promo ?")
    assert clean_text("court") == "court"


def test_offered_payloads_are_those_since_the_last_user_message() -> None:
    button = {"title": "Parler à un conseiller", "payload": "/request_human"}
    events = [
        BotUttered("ancien", data={"buttons": [{"title": "x", "payload": "/affirm"}]}),
        UserUttered("bonjour"),
        BotUttered("Je ne trouve aucune commande", data={"buttons": [button]}),
    ]
    assert offered_payloads(events) == {"/request_human"}
    assert offered_payloads([*events, UserUttered("merci")]) == set()


def test_a_command_is_obeyed_only_when_offered() -> None:
    assert neutralize_command("/affirm", {"/affirm"}) == "/affirm"
    assert neutralize_command("/affirm", set()) == "affirm"
    assert neutralize_command('//check_order_status{"order_number":"1"}', set()) == \
        'check_order_status{"order_number":"1"}'
    assert neutralize_command("bonjour / au revoir", set()) == "bonjour / au revoir"


def test_old_buttons_without_forgeable_data_are_always_obeyed() -> None:
    assert neutralize_command("/request_human", set()) == "/request_human"
    assert neutralize_command("/check_order_status", set()) == "/check_order_status"
    assert neutralize_command('/choose_faq{"faq_key":"delivery_time"}', set()) == \
        '/choose_faq{"faq_key":"delivery_time"}'
    # With data the customer could forge, or another entity, they are not.
    assert neutralize_command('/check_order_status{"order_number":"1"}', set()) == \
        'check_order_status{"order_number":"1"}'
    assert neutralize_command('/choose_faq{"faq_key":"a","email":"x@y.z"}', set()) == \
        'choose_faq{"faq_key":"a","email":"x@y.z"}'


def test_restart_is_always_allowed_but_other_commands_are_not() -> None:
    assert neutralize_command("/restart", set()) == "/restart"
    assert neutralize_command(" /restart ", set()).strip() == "/restart"
    assert neutralize_command("/restart_everything", set()) == "restart_everything"
