#!/usr/bin/env bash
# Print the path of a working Python 3.10 interpreter, or explain how to get one and exit 1.
# Order: $PYTHON (if set), `python3.10` on PATH, then pyenv's installed 3.10.x versions.
set -u

works() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }

if [ -n "${PYTHON:-}" ] && works "$PYTHON"; then echo "$PYTHON"; exit 0; fi
if command -v python3.10 >/dev/null 2>&1 && works python3.10; then command -v python3.10; exit 0; fi

pyenv_root=""
if command -v pyenv >/dev/null 2>&1; then pyenv_root=$(pyenv root 2>/dev/null); fi
for root in "$pyenv_root" "${PYENV_ROOT:-}" "$HOME/.pyenv"; do
    [ -n "$root" ] || continue
    for candidate in $(ls -d "$root"/versions/3.10.*/bin/python 2>/dev/null | sort -V -r); do
        if works "$candidate"; then echo "$candidate"; exit 0; fi
    done
done

cat >&2 <<'MSG'
error: sav-bot needs Python 3.10 (Rasa 3.6 does not install on 3.11 or newer), and none was found:
  - no working `python3.10` on PATH, and
  - no 3.10.x version under pyenv (`pyenv root`/versions).
Install one, then run the command again:
  - with pyenv:   pyenv install 3.10
  - on Debian/Ubuntu (if packaged): apt-get install python3.10 python3.10-venv
or point to an interpreter explicitly:  make install PYTHON=/path/to/python3.10
MSG
exit 1
