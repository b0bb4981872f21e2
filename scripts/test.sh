#!/bin/sh
# The one test command (README, CI): build dist/tsk, then every unit test (*.test.ts next to
# the code) and every integration suite in test/ under node:test. Integration suites boot the
# real dist/tsk on ephemeral ports; suites that need a tool this machine lacks say so and fail.
set -eu
cd "$(dirname "$0")/.."
make --no-print-directory
files=$(find pkg cmd test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
exec node --import tsx --test --test-reporter=spec --test-timeout=600000 $files
