# The two commands: `make run` and `make test`. Everything else is set-up they share.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
GC     := $(BIN)/gridcommand

.PHONY: run test setup system-packages browser-packages venv db demo lint bench clean-db

run: setup db demo
	$(GC) serve --host 127.0.0.1 --port 8050 --simulate

test: setup lint browser-packages db
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

setup: system-packages venv

system-packages:
	@scripts/ensure-debian-packages postgresql-15-postgis-3 pgbackrest libjs-leaflet

browser-packages: node_modules/.installed
	@scripts/ensure-debian-packages chromium chromium-driver fonts-noto-cjk

# the browser tests' axe-core (package.json, pinned by package-lock.json); Debian's npm only where none is installed
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || scripts/ensure-debian-packages nodejs npm
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

db: venv
	$(GC) db start
	$(GC) db migrate

demo: db
	$(GC) demo --if-empty

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(BIN)/lint-imports --no-logo --no-cache

clean-db:
	-$(GC) db stop
	rm -rf .data/pg .data/pg-standby .data/backup .data/pgbackrest
