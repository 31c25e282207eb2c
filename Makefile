# Entry points; each one installs what it needs in .venv (pinned, see requirements-dev.txt).
.PHONY: demo test sanity units integration lint docs bench clean

demo:
	bash extensions/demo/demo.sh

test:
	bash tests/utils/run-tests.sh

sanity units emulator integration lint docs changelog:
	bash tests/utils/run-tests.sh $@

clean:
	rm -rf .venv .ansible tests/output
