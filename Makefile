# sav-bot — the commands a newcomer needs come first.  `make help` lists them all.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
MODEL    := models/sav-bot.tar.gz
# The custom NLU components are part of the model: changing one retrains it too.
TRAINING := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
            $(filter-out components/lock_store.py,$(wildcard components/*.py))

# Defaults for everything the project starts; override any of them in the environment.
export RASA_TELEMETRY_ENABLED := false
export DATABASE_URL          ?= sqlite:///$(CURDIR)/var/orders.db
export TRACKER_STORE_URL     ?= sqlite:///$(CURDIR)/var/conversations.db
export ACTIONS_PORT          ?= 5055
export ACTION_ENDPOINT_URL   ?= http://localhost:$(ACTIONS_PORT)/webhook
export LOCK_STORE_TYPE       ?= in_memory
export REDIS_HOST            ?= localhost
export REDIS_PORT            ?= 6379
export REDIS_PASSWORD        ?=
export REDIS_KEY_PREFIX      ?=
export TF_CPP_MIN_LOG_LEVEL  ?= 2
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
# Messenger (credentials.yml): the placeholder leaves it off; its webhook then rejects posts.
export FACEBOOK_VERIFY_TOKEN      ?= not-configured
export FACEBOOK_APP_SECRET        ?= not-configured
export FACEBOOK_PAGE_ACCESS_TOKEN ?= not-configured

.PHONY: help run test install train validate evaluate bench shell lint clean web chromium services

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: install web $(MODEL) ## Seed the order database if needed, then start the bot and the demo shop page (Ctrl-C stops them)
	@scripts/run.sh

test: install validate web chromium $(MODEL) ## Validate the data, run the conversation, unit and end-to-end tests
	$(BIN)/rasa test core --model $(MODEL) --stories tests/test_stories.yml \
		--e2e --fail-on-prediction-errors --out results/core
	scripts/services.sh run $(BIN)/pytest -q

install: $(STAMP) ## Create .venv with Python 3.10 and install the project

$(STAMP): pyproject.toml scripts/find_python.sh
	@python=$$(PYTHON="$(PYTHON)" scripts/find_python.sh) || exit 1; \
	if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then \
		rm -rf $(VENV); echo "creating $(VENV) with $$python"; "$$python" -m venv $(VENV) || exit 1; \
	fi
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

train: install $(MODEL) ## Train the model (only when data/, domain.yml or config.yml changed)

$(MODEL): $(TRAINING) | $(STAMP)
	$(BIN)/rasa train --fixed-model-name sav-bot --out models

validate: install ## Check the training data and domain (rasa data validate)
	$(BIN)/rasa data validate --fail-on-warnings

evaluate: install ## NLU evaluation on both held-out sets vs the `rasa init` pipeline (~45-60 min)
	$(BIN)/python -m savbot.evaluation

bench: install ## Speed vs the `rasa init` defaults (reports/bench.json; BENCH_ARGS=--quick: smoke run)
	@if [ -x scripts/services.sh ]; then scripts/services.sh run $(BIN)/python -m savbot.bench $(BENCH_ARGS); \
	else $(BIN)/python -m savbot.bench $(BENCH_ARGS); fi

services: ## Start PostgreSQL and Redis on loopback (apt installs them if missing); print their env
	@scripts/services.sh start && scripts/services.sh env && echo "# stop: scripts/services.sh stop"

shell: install $(MODEL) ## Talk to the bot in the terminal (starts the action server too)
	@scripts/run.sh shell

web: web/dist/.built ## Build the demo shop page with the chat widget (npm ci, into web/dist)

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web/dist/.built: web/node_modules/.installed web/build.mjs $(wildcard web/src/*)
	cd web && node build.mjs
	@touch $@

chromium: ## Install Debian's chromium for the browser tests (only when /usr/bin/chromium is missing)
	@scripts/install_chromium.sh

lint: install ## ruff
	$(BIN)/ruff check actions channels components savbot tests

clean: ## Remove trained models and test results (keeps var/ and .venv)
	rm -rf models results reports
