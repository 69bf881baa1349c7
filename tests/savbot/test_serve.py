"""Runtime fixes of `python -m savbot.serve` (the Rasa server as sav-bot runs it)."""

from __future__ import annotations

import jsonschema
import pytest

from savbot import serve

SCHEMA = {"type": "object", "properties": {"events": {"type": "array"},
                                           "responses": {"type": "array"}}}


def _error(validate, instance, schema=SCHEMA):
    try:
        validate(instance, schema)
    except jsonschema.ValidationError as error:
        return error.message, list(error.path)
    return None


@pytest.fixture
def original(monkeypatch):
    """``jsonschema.validate`` as installed; the fixes are undone after the test."""
    monkeypatch.setattr(serve, "_ORIGINAL_VALIDATE", None)
    monkeypatch.setattr(jsonschema, "validate", jsonschema.validate)
    return jsonschema.validate


def test_cached_validation_accepts_and_rejects_like_jsonschema(original) -> None:
    serve.apply_runtime_fixes()
    serve.apply_runtime_fixes()  # idempotent

    assert jsonschema.validate is serve.cached_validate
    assert serve._ORIGINAL_VALIDATE is original
    for instance in ({"events": [], "responses": []}, {"events": {}}, {"responses": "x"}, []):
        assert _error(serve.cached_validate, instance) == _error(original, instance)
    assert _error(serve.cached_validate, {"responses": "x"}) is not None


def test_the_schema_is_checked_once_and_a_bad_schema_still_fails(original) -> None:
    serve.apply_runtime_fixes()
    serve._validator.cache_clear()
    for _ in range(5):
        jsonschema.validate({"events": []}, dict(SCHEMA))

    assert serve._validator.cache_info().misses == 1
    with pytest.raises(jsonschema.SchemaError):
        jsonschema.validate({}, {"type": 12})


def test_rasa_action_responses_are_validated_with_the_fix(original) -> None:
    from rasa.core.actions.action import RemoteAction

    serve.apply_runtime_fixes()
    spec = RemoteAction.action_response_format_spec()

    jsonschema.validate({"events": [{"event": "slot", "name": "a", "value": 1}],
                         "responses": [{"response": "utter_x"}]}, spec)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"events": "none"}, spec)

