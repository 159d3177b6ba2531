# Harbor: `make run` to serve the forum, `make test` to run every test.
PYTHON ?= python3
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: db run dev worker test test-pg vnu bench screenshots scaleout-smoke lint format lock clean

# Stamp files make a second `make run` skip pip when the locks have not changed.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.app-deps: requirements/app.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/app.txt
	touch $@

$(VENV)/.test-deps: requirements/test.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/test.txt
	touch $@ $(VENV)/.app-deps

db: $(VENV)/.app-deps
	$(FLASK) db upgrade
	$(FLASK) seed

# One process with four threads: rate limits and kept pages live in the process's memory
# (memory://), so a second process would count every limit twice. Several processes or
# hosts need a shared store (README, "Running several servers").
run: db
	HARBOR_BASE_URL=$${HARBOR_BASE_URL:-http://127.0.0.1:$(PORT)} \
	  $(BIN)/gunicorn --workers 1 --threads 4 --bind 127.0.0.1:$(PORT) wsgi:app

dev: db
	HARBOR_BASE_URL=$${HARBOR_BASE_URL:-http://127.0.0.1:$(PORT)} $(FLASK) run --debug --port $(PORT)

# Delivers the outbox (and daily digests) while `make run` serves the site.
worker: db
	$(FLASK) mail send --loop

test: $(VENV)/.test-deps vnu
	$(BIN)/pytest

# The whole suite again on a throwaway PostgreSQL cluster (installs PostgreSQL when root).
test-pg: $(VENV)/.test-deps
	eval "$$(.ci/postgres.sh start)" && $(BIN)/pytest; status=$$?; .ci/postgres.sh stop >/dev/null; exit $$status

# The Nu Html Checker, for tests/browser/test_valid_html.py: npm's vnu-jar at a pinned
# version, in .venv/vnu/ (its install script, which would fetch a Java, is not run). Without
# Java or npm here the test is skipped and says why; .ci/run installs both, so CI never skips.
VNU_VERSION := 26.9.27
vnu: | $(BIN)/python
	@if [ -f $(VENV)/vnu/.version-$(VNU_VERSION) ]; then :; \
	elif command -v java >/dev/null && command -v npm >/dev/null; then \
	  npm install --silent --ignore-scripts --no-audit --no-fund --prefix $(VENV)/vnu vnu-jar@$(VNU_VERSION) \
	  && touch $(VENV)/vnu/.version-$(VNU_VERSION); \
	else echo "Java or npm is missing: the HTML check (tests/browser/test_valid_html.py) will be skipped"; fi

# Harbor under gunicorn and wrk beside a bare Flask app, at 40,000 and 1,000,000 posts
# (bench/README.md). Makes the faked forums once, in bench/data/; takes a while.
bench: $(VENV)/.test-deps
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Desktop and phone pictures of the main pages, for docs/screenshots/ (needs Chromium).
screenshots: $(VENV)/.test-deps
	$(BIN)/python -m tests.browser.screenshots

# Two gunicorn instances on one PostgreSQL and one Redis, and .ci/scaleout_smoke.py against them.
scaleout-smoke: $(VENV)/.app-deps
	bash .ci/scaleout.sh

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.test-deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-pin every dependency after editing pyproject.toml (needs pip-tools).
lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --generate-hashes --allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements/app.txt pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --generate-hashes --allow-unsafe --no-emit-index-url --no-emit-find-links --extra test -o requirements/test.txt pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
