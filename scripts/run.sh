#!/usr/bin/env bash
# Start sav-bot: the action server (port 5055) and the Rasa server (port 5005, REST channel
# and HTTP API protected by RASA_AUTH_TOKEN). Called by `make run` (and `make shell` with
# the argument "shell"), which installs, trains and exports the environment defaults first.
# `make run` also serves the demo shop page with the chat widget (web/dist, built by
# `make web`) on port WEB_PORT (8080). Ctrl-C stops every process.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
MODEL=models/sav-bot.tar.gz
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
WEB_PORT=${WEB_PORT:-8080}
export RASA_TELEMETRY_ENABLED=false
mkdir -p var

# The order database: created and seeded with demo orders the first time.
if [ "$($BIN/savbot orders count)" = "0" ]; then
    echo "Seeding the order database with demo orders..."
    $BIN/savbot orders seed --count 200
fi

pids=()
cleanup() {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "sav-bot stopped."
}
trap cleanup EXIT
trap 'exit 0' INT TERM

$BIN/rasa run actions --actions actions --port "$ACTIONS_PORT" &
pids+=($!)

if [ "${1:-}" = "shell" ]; then
    $BIN/rasa shell --model "$MODEL" --endpoints endpoints.yml
    exit 0
fi

if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
    RASA_AUTH_TOKEN=$($BIN/python -c 'import secrets; print(secrets.token_urlsafe(24))')
    echo "RASA_AUTH_TOKEN was not set; generated one for this run: $RASA_AUTH_TOKEN"
fi
export RASA_AUTH_TOKEN
# The agent inbox of the human handoff (channels/agent_inbox.py) needs its own token.
if [ -z "${AGENT_TOKEN:-}" ]; then
    AGENT_TOKEN=$($BIN/python -c 'import secrets; print(secrets.token_urlsafe(24))')
    echo "AGENT_TOKEN was not set; generated one for this run: $AGENT_TOKEN"
fi
export AGENT_TOKEN

# `rasa run` with sav-bot's runtime fixes (savbot/serve.py: same arguments, faster turns).
$BIN/python -m savbot.serve run --model "$MODEL" --endpoints endpoints.yml --credentials credentials.yml \
    --enable-api --auth-token "$RASA_AUTH_TOKEN" --cors "*" --port "$RASA_PORT" &
pids+=($!)

# The demo shop page with the chat widget (static files; the widget talks to Rasa directly).
$BIN/python -m http.server "$WEB_PORT" --bind 127.0.0.1 --directory web/dist >/dev/null 2>&1 &
pids+=($!)

echo "Waiting for the Rasa server to load the model..."
until curl -fs "http://localhost:$RASA_PORT/" >/dev/null 2>&1; do
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || { echo "a server exited during start-up"; exit 1; }
    done
    sleep 1
done
if [ "${FACEBOOK_APP_SECRET:-not-configured}" = not-configured ] ||
   [ "${FACEBOOK_PAGE_ACCESS_TOKEN:-not-configured}" = not-configured ]; then
    MESSENGER="off (set FACEBOOK_VERIFY_TOKEN, FACEBOOK_APP_SECRET, FACEBOOK_PAGE_ACCESS_TOKEN)"
else
    MESSENGER="https://<this server>/webhooks/facebook/webhook (port $RASA_PORT)"
fi
cat <<MSG

sav-bot is ready.
  Website widget (demo shop page):
    http://localhost:$WEB_PORT/?rasa=http://localhost:$RASA_PORT
  Talk to it over REST:
    curl -s localhost:$RASA_PORT/webhooks/rest/webhook -H 'Content-Type: application/json' \\
      -d '{"sender": "moi", "message": "Bonjour, où en est ma commande ?"}'
  Or in a terminal:  make shell
  HTTP API (token):  curl -s "localhost:$RASA_PORT/status?token=\$RASA_AUTH_TOKEN"
  Agent inbox (human handoff):
    http://localhost:$RASA_PORT/webhooks/agent_inbox/?token=$AGENT_TOKEN
  Handoffs in a terminal (same environment as this server):
    RASA_URL=http://localhost:$RASA_PORT RASA_AUTH_TOKEN=... .venv/bin/savbot handoffs list|show ID|close ID
  Demo orders:       .venv/bin/savbot orders sample (prints number + e-mail pairs to try; read-only)
  Messenger webhook: $MESSENGER (README, "Facebook Messenger")
Ctrl-C stops the servers.
MSG
wait -n "${pids[@]}"
