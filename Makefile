# The two commands in the README. Both set up what they need on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test bench chromium nginx

run: $(VENV)/.runtime
	$(PY) app.py

test: $(VENV)/.dev chromium nginx
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

bench: $(VENV)/.dev chromium nginx
	$(PY) bench/run.py
	$(PY) bench/solve_to_screen.py

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.runtime $@

# Browser tests drive Debian's Chromium (playwright cannot download its own browser here).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

# The scale-out test and benchmark put Debian's nginx in front of the workers (docker/cluster.py).
nginx:
	@test -x /usr/sbin/nginx || (apt-get update -qq && apt-get install -y -qq nginx >/dev/null)
