# Two commands: `make demo` (install, build the demo corpus, serve it) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml api/static/package-lock.json | cksum | cut -d' ' -f1)

.PHONY: demo install test test-all build clean

demo: $(STAMP)
	$(BIN)/kg build data --store var/store
	$(BIN)/kg serve --store var/store --host 127.0.0.1 --port 8000

install: $(STAMP)

$(STAMP): pyproject.toml api/static/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@# YASGUI for the /sparql page, from npm into api/static/node_modules (served locally, no CDN).
	@# Without npm the page falls back to a plain form.
	command -v npm >/dev/null && npm ci --prefix api/static --ignore-scripts --no-audit --no-fund --silent \
		|| echo "npm not found: /sparql shows a plain query form"
	touch $(STAMP)

# The README's test command: the whole suite, real-data tests included when
# ../shared/datasets is present (they skip with a reason otherwise).
test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf var .pytest_cache
