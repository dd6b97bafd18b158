# Two commands do all the set-up on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint migrate demo serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## make run: install, migrate, load the demo data on an empty database, serve on 127.0.0.1:8000
run: $(STAMP)
	$(BIN)/cunyi db upgrade
	$(BIN)/cunyi demo --if-empty
	$(BIN)/cunyi serve

## make test: install with test extras, lint (ruff, the layer contract), run the whole suite (exit status is pytest's)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

migrate: $(STAMP)
	$(BIN)/cunyi db upgrade

demo: $(STAMP)
	$(BIN)/cunyi demo

serve: $(STAMP)
	$(BIN)/cunyi serve

bench: $(STAMP)
	$(BIN)/python bench/members_list.py
	$(BIN)/python bench/proposals.py
	$(BIN)/python bench/votes.py
	$(BIN)/python bench/notices.py
	$(BIN)/python bench/kill9.py
	$(BIN)/python bench/proposal_page.py
	$(BIN)/python bench/cast.py
	$(BIN)/python bench/http.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
