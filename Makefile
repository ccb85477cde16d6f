# patrol: `make run` (demo service on http://127.0.0.1:5000; `make run PORT=5001` elsewhere),
# `make test` (the whole suite) and `make install` (only the environment, in .venv).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install venv run test fresh-clone-test lint format bench demo-data clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,serve]'
	touch $@

# The environment only: .venv with patrol (editable) and its test and serve extras.
install: $(VENV)/.installed
venv: install

run: $(VENV)/.installed
	PATROL_ENV=development $(BIN)/patrol demo
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl-C stops)"
	PATROL_ENV=development $(BIN)/patrol serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# `make test` in a clone of HEAD with nothing beside it (no ../shared), borrowing this venv.
fresh-clone-test: $(VENV)/.installed
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
