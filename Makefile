# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# Entry points; each one installs what it needs in .venv (pinned, see requirements-dev.txt).
.PHONY: demo test sanity units emulator eda integration molecule awx lint docs changelog build docsite matrix bench importer clean

demo:
	bash extensions/demo/demo.sh

test:
	bash tests/utils/run-tests.sh

sanity units emulator eda integration molecule awx lint docs changelog build:
	bash tests/utils/run-tests.sh $@

# HTML docs site in build/docsite: module, filter and role pages plus the guides of docs/docsite/rst/
docsite:
	bash tests/utils/docsite.sh

# sanity, units and integration on the oldest (2.16, Python 3.11, .venv-2.16) and newest (2.21) ansible-core
matrix:
	bash tests/utils/matrix.sh

# Containment speed against the emulator: the floor, the role and their ratio on ansible-core 2.16 and the newest
# (exit 1 above 1.5), the 10,000-user run, the uri-loop baseline; see docs/docsite/rst/performance.rst
bench:
	bash hacking/bench/run.sh

# galaxy-importer (what Galaxy runs on an upload) on the built tarball: no error and no warning allowed.
# Also the last step of make test (about a minute); see tests/utils/importer.sh
importer:
	bash tests/utils/importer.sh

clean:
	rm -rf .venv .venv-2.16 .ansible .nox tests/output build
