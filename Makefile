# patrol: `make run` (demo service on http://127.0.0.1:5000) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench demo-data clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,serve]'
	touch $@

run: $(VENV)/.installed
	PATROL_ENV=development $(BIN)/patrol demo
	@echo "Serving on http://127.0.0.1:5000 (Ctrl-C stops)"
	PATROL_ENV=development $(BIN)/patrol serve --host 127.0.0.1 --port 5000

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

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
