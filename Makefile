# The README's commands: `make demo` and `make test` set up first (scripts/setup.sh is
# idempotent and takes a few seconds once everything is installed).
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/bin:$(PATH)

.PHONY: setup test test-vm demo check-test-support

setup:
	@bash scripts/setup.sh

# All tests: the unit and integration vitest projects, then the vm project inside a QEMU
# guest (cgroup v2; VZKIT_SKIP_VM=1 skips it, counted as skipped). No test files at all is
# not an error here (the summary line says so); vitest's own filters stay strict.
test: setup
	@bash scripts/run-tests.sh

# Only the vm project, in the guest (scripts/vm; set up on first use).
test-vm: setup
	@bash scripts/run-vm-tests.sh

demo: setup
	@bash scripts/demo.sh

# Checks that test-support's reporter counts what CI relies on (used by .ci/run).
check-test-support:
	@bash scripts/check-test-support.sh
