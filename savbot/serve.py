"""``python -m savbot.serve run ...``: the ``rasa`` command with sav-bot's runtime fixes.

Same arguments as ``rasa`` (``python -m savbot.serve run --model ... --port ...``); before
handing over to Rasa's own ``main()``, it applies :func:`apply_runtime_fixes`. Nothing here
changes what the bot answers: only how long Rasa takes to get there.

Measured with ``make bench`` / ``python -m savbot.bench --profile`` (README, "Benchmark").
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from typing import Any

_ORIGINAL_VALIDATE = None


@lru_cache(maxsize=64)
def _validator(schema_json: str, cls: Any) -> Any:
    import jsonschema

    schema = json.loads(schema_json)
    validator_class = cls or jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def cached_validate(instance: Any, schema: Any, cls: Any = None, *args: Any,
                    **kwargs: Any) -> None:
    """``jsonschema.validate`` that checks each schema against its metaschema once, not on
    every call; same errors (``best_match``), same exceptions
    (``jsonschema.ValidationError``, ``jsonschema.SchemaError``).

    Why: Rasa 3.6 validates every custom action's response with ``jsonschema.validate``,
    which with jsonschema 4.17 first re-checks Rasa's schema against the draft 2020-12
    metaschema (``$dynamicRef`` resolution): about 30-60 ms of CPU per action call here,
    against 1-3 ms for the validation itself. An order lookup makes 2-3 such calls.
    Calls with extra arguments, or a schema that is not plain JSON, go to the original.
    """
    import jsonschema.exceptions

    if args or kwargs:
        return _ORIGINAL_VALIDATE(instance, schema, cls, *args, **kwargs)
    try:
        key = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError):
        return _ORIGINAL_VALIDATE(instance, schema, cls)
    error = jsonschema.exceptions.best_match(_validator(key, cls).iter_errors(instance))
    if error is not None:
        raise error


def apply_runtime_fixes() -> None:
    """Install :func:`cached_validate` as ``jsonschema.validate`` (Rasa imports it at each
    call, so this takes effect everywhere). Idempotent.

    Tried and left out: SQLite's write-ahead log for the tracker store. Rasa opens and
    closes a connection per session on SQLite (``NullPool``), and closing the last
    connection of a WAL database checkpoints it: save + retrieve of a turn went from 7 ms to
    41 ms.
    """
    global _ORIGINAL_VALIDATE
    import jsonschema

    if _ORIGINAL_VALIDATE is None:
        _ORIGINAL_VALIDATE = jsonschema.validate
        jsonschema.validate = cached_validate


def main() -> None:
    """Apply the fixes, then run ``rasa`` with this process's arguments."""
    apply_runtime_fixes()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":  # pragma: no cover
    main()
