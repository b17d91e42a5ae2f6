# The two commands in the README. Both set up what they need on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

# Interface translations: the .po files are kept in git; their compiled .mo files are built here.
CATALOGS := scoreboard/translations
MO := $(patsubst %.po,%.mo,$(wildcard $(CATALOGS)/*/LC_MESSAGES/messages.po))

# The suite runs in parallel (pytest-xdist). Its browser and server tests mostly wait on other
# processes, so it gains from more workers than cores (docs/testing.md: how this was chosen).
# Each worker has its own ports, PostgreSQL database and Redis db (tests/conftest.py).
TEST_WORKERS ?= 6

.PHONY: run test bench messages chromium nginx

run: $(VENV)/.runtime $(MO)
	$(PY) app.py

# The suite starts hundreds of processes; with PYTHONDONTWRITEBYTECODE set (as on CI) each would
# compile the package again, so it is compiled once before the run.
test: $(VENV)/.dev chromium nginx $(MO)
	$(VENV)/bin/ruff check .
	$(PY) -m compileall -q scoreboard app.py docker
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

bench: $(VENV)/.dev chromium nginx $(MO)
	$(PY) bench/run.py --scale 1,2,4
	$(PY) bench/solve_to_screen.py
	$(PY) bench/attacks.py
	$(PY) bench/checks.py

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.runtime $@

%.mo: %.po | $(VENV)/.runtime
	$(VENV)/bin/pybabel -q compile -i $< -o $@

# After changing interface text: extract every _() into messages.pot and merge it into each
# language's .po; then translate what is new (empty) and drop the fuzzy marks (docs/i18n.md).
messages: $(VENV)/.runtime
	$(VENV)/bin/pybabel -q extract -F babel.cfg --add-location=file --sort-by-file --no-wrap \
		--project=Drillboard --copyright-holder="Drillboard authors" -o $(CATALOGS)/messages.pot .
	$(VENV)/bin/pybabel -q update -i $(CATALOGS)/messages.pot -d $(CATALOGS) --ignore-obsolete --no-fuzzy-matching --no-wrap

# Browser tests drive Debian's Chromium (playwright cannot download its own browser here); the
# board needs a CJK font to show Chinese (fonts-noto-cjk).
chromium:
	@(test -x /usr/bin/chromium && fc-list :lang=zh | grep -q .) || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

# The scale-out test and benchmark put Debian's nginx in front of the workers (docker/cluster.py).
nginx:
	@test -x /usr/sbin/nginx || (apt-get update -qq && apt-get install -y -qq nginx >/dev/null)
