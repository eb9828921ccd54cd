# The README's commands. `make demo` serves the learner pages; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8866
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo serve test bench install frontend chromium postgresql lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed frontend

# The learner pages' front end (frontend/src), built into the kit's Voila template with
# esbuild from the npm registry. Node.js comes with the machine; apt provides it where not.
FRONTEND_OUT := widgets/chwkit/serve/share/jupyter/voila/templates/chwkit/static/chwkit-page.js
frontend: $(FRONTEND_OUT)

$(FRONTEND_OUT): frontend/package-lock.json frontend/build.mjs $(wildcard frontend/src/*)
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm >/dev/null; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && node build.mjs

# The whole kit on demo data (a released assessment, demo learners, a forum session and their
# access codes), kept in .chwkit-demo/, never in a program's data directory.
demo: install
	$(BIN)/chwkit demo --port $(PORT)

serve: install
	$(BIN)/chwkit serve --port $(PORT)

# Debian's Chromium where apt has it; otherwise (no apt, no such package, no sudo) Playwright's
# own browser, which the tests use when /usr/bin/chromium is absent.
chromium: install
	@if [ -x /usr/bin/chromium ]; then \
		echo "chromium: /usr/bin/chromium"; \
	elif command -v apt-get >/dev/null 2>&1 && $(SUDO) apt-get update -qq \
		&& $(SUDO) apt-get install -y -qq chromium >/dev/null && [ -x /usr/bin/chromium ]; then \
		echo "chromium: installed /usr/bin/chromium"; \
	else \
		echo "chromium: Debian's package is not available here; using Playwright's browser"; \
		$(BIN)/python -m playwright install chromium; \
	fi

# Debian's PostgreSQL server for the records store's tests, which start a temporary cluster
# of their own (as an unprivileged user, on a Unix socket) and stop it.
postgresql:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "postgresql: $$(ls /usr/lib/postgresql/*/bin/initdb | tail -1)"; \
	else \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql >/dev/null \
		&& ls /usr/lib/postgresql/*/bin/initdb; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd frontend && npm run --silent check

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Tests marked slow (more modules through the same browser check) run in make bench.
test: install chromium postgresql lint
	$(BIN)/pytest tests -m "not slow"
	CHWKIT_FORUM_SAMPLE=1 $(BIN)/pytest --nbval-lax -p no:cacheprovider notebooks forum_sessions assessments/source

bench: install chromium postgresql
	$(BIN)/pytest tests -m slow
	@for script in benchmarks/*.py; do \
		echo "== $$script"; $(BIN)/python $$script || exit 1; \
	done

clean:
	rm -rf $(VENV) .chwkit .chwkit-demo test-artifacts .pytest_cache .ruff_cache frontend/node_modules
	rm -f $(dir $(FRONTEND_OUT))chwkit-page.*
