# The README's two commands: `make report` and `make test`.  Both create .venv, install the
# Python packages and, where apt is usable, the Debian TeX packages.
PYTHON ?= python3
VENV   ?= .venv
REPORT ?= out/entwined-report.pdf

.PHONY: setup tex report test verify bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $@

tex:
	@sh scripts/ensure-tex.sh

report: setup tex
	$(VENV)/bin/entwined report --mutation --output $(REPORT)

verify: setup
	$(VENV)/bin/entwined verify

test: setup tex
	$(VENV)/bin/python -m pytest -q

bench: setup
	$(VENV)/bin/python bench/run.py

clean:
	rm -rf out build *.egg-info
