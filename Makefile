# patrol: `make run` (demo service on http://127.0.0.1:5000; `make run PORT=5001` elsewhere),
# `make test` (the whole suite) and `make install` (only the environment, in .venv).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install venv run test bytecode fresh-clone-test lint format bench demo-data clean vendor-js \
	translations extract

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,serve]'
	$(MAKE) --no-print-directory vendor-js
	$(MAKE) --no-print-directory bytecode
	touch $@

# patrol's own modules compiled once: an editable install leaves them uncompiled, and where
# PYTHONDONTWRITEBYTECODE is set every command would compile ~170 modules again (~0.2 s of
# each command's start-up, docs/performance.md). Python checks each file's time stamp, so a
# stale .pyc is never used.
bytecode: | $(BIN)/activate
	$(BIN)/python -m compileall -q patrol

# The pages' languages (docs/i18n.md): `make extract` gathers every message into
# translations/messages.pot and merges it into each language's .po; `make translations`
# compiles the .po files into the .mo files the service reads (at install; never committed).
translations: | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d translations

extract: | $(BIN)/activate
	$(BIN)/pybabel extract -F babel.cfg -k _ -k lazy_gettext -k ngettext:1,2 -k N_ --no-location \
	  --sort-output -w 100 -o translations/messages.pot patrol templates static/js
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching -w 100

# Front-end code from the npm registry that PyPI has no package of, unpacked beside the venv's
# Python packages (patrol_vendor/NAME), where /vendor/NAME/ serves it: protomaps-leaflet draws
# vector basemaps (docs/decisions.md); axe-core is the browser tests' accessibility checker.
# Without npm the pages still work and say they cannot draw vector tiles.
NPM_VENDOR := protomaps-leaflet@5.1.0 axe-core@4.14.1
vendor-js: | $(BIN)/activate
	@dest="$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/patrol_vendor"; \
	if ! command -v npm >/dev/null; then echo "npm not found: vector basemaps will not be drawn" >&2; exit 0; fi; \
	for spec in $(NPM_VENDOR); do \
	  name="$${spec%@*}"; mkdir -p "$$dest/$$name" && tmp="$$(mktemp -d)" && \
	  (cd "$$tmp" && npm pack --silent "$$spec" >/dev/null && tar xzf ./*.tgz) && \
	  cp "$$tmp/package/LICENSE" $$(ls "$$tmp"/package/dist/*.js 2>/dev/null || ls "$$tmp"/package/*.min.js) "$$dest/$$name/" && rm -rf "$$tmp"; \
	done

# The environment only: .venv with patrol (editable) and its test and serve extras.
install: $(VENV)/.installed translations
venv: install

run: $(VENV)/.installed translations
	PATROL_ENV=development $(BIN)/patrol demo
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl-C stops)"
	PATROL_ENV=development $(BIN)/patrol serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# `make test` in a clone of HEAD with nothing beside it (no ../shared), borrowing this venv.
fresh-clone-test: $(VENV)/.installed translations
	REUSE_VENV=$(VENV) bash tests/fresh_clone.sh

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/effort_bench.py
	$(BIN)/python bench/hotspot_bench.py
	$(BIN)/python bench/hotspot_skill.py
	$(BIN)/python bench/map_load_bench.py
	$(BIN)/python bench/export_bench.py

demo-data: $(VENV)/.installed
	$(BIN)/python -m patrol.demo.build

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
