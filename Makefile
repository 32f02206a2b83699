# Chart to Claim: `make run` sets everything up and serves the site; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test mutate setup deps dev-deps db codes content demo browser nginx test-postgres bench clean

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# Test tools (pytest, playwright, hypothesis, bandit) only for `make test`; a server installs requirements.txt alone.
$(BIN)/.installed-dev: requirements-dev.txt $(BIN)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

deps: $(BIN)/.installed

dev-deps: $(BIN)/.installed-dev

db: deps
	$(BIN)/flask db upgrade

codes: deps
	$(BIN)/flask codes build --if-stale

content: db codes
	$(BIN)/flask content import

demo: db
	$(BIN)/flask demo users

setup: db codes content demo

run: setup
	@echo "Serving Chart to Claim on http://127.0.0.1:$(PORT)"
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# The browser tests drive Debian's chromium: installed here when missing and possible (root with apt-get),
# otherwise `make test` stops before running anything and says what to install.
browser:
	@scripts/ensure-browser

# The proxy test (tests/integration/test_nginx.py) runs the shipped nginx site file in front of gunicorn:
# Debian's nginx is installed here when missing and possible; otherwise a loud notice, and that test skips.
nginx:
	@scripts/ensure-nginx

# The suite runs on SQLite always; the database tests run again on PostgreSQL when TEST_DATABASE_URL is set.
test: browser nginx setup dev-deps
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -n 2 --dist loadgroup
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL) =="; \
		$(BIN)/python -m pytest -n 2 --dist loadgroup tests/integration; \
	fi

# Mutation testing of the pure engines (slow: tens of minutes on 2 cores); survivors are listed by
# `.venv/bin/mutmut results` and summarised in benchmarks/results/mutation.md. Not part of `make test`.
mutate: dev-deps codes
	rm -rf mutants
	CODESET_PATH=$(CURDIR)/instance/codes.sqlite $(BIN)/mutmut run --max-children 2
	$(BIN)/python benchmarks/mutation_summary.py > benchmarks/results/mutation.md

bench: codes
	$(BIN)/python benchmarks/bench_grader.py
	$(BIN)/python benchmarks/bench_claims.py
	$(BIN)/python benchmarks/gradebook.py
	$(BIN)/python benchmarks/request_costs.py
	$(BIN)/python benchmarks/markdown_worst.py
	$(BIN)/python benchmarks/web.py $(if $(DURATION),--duration $(DURATION))

clean:
	rm -rf $(VENV) instance .pytest_cache
