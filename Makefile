# dist/tsk is the single executable (see scripts/build.ts). It is rebuilt when any source it
# bundles, the lockfile or the build script changes.
SOURCES := $(shell find cmd pkg -name '*.ts' -not -name '*.test.ts' 2>/dev/null) package.json package-lock.json scripts/build.ts scripts/sea.ts

.PHONY: all clean typecheck test release release-check

all: dist/tsk

dist/tsk: $(SOURCES)
	node --import tsx scripts/build.ts

typecheck:
	npx tsc --noEmit -p .

test: dist/tsk
	sh scripts/test.sh

# Release executables dist/release/tsk-linux-{amd64,arm64} + sha256sum-*.txt on Node 24 from npm
# (scripts/release.ts; needs g++-aarch64-linux-gnu), and their check (arm64 under qemu-user-static).
# Not part of `make` or `npm test`: a cold release build compiles SQLite twice (minutes).
release:
	node --import tsx scripts/release.ts

release-check:
	node --import tsx --test --test-reporter=spec scripts/release-check.ts

clean:
	rm -rf dist
