# dist/tsk is the single executable (see scripts/build.ts). It is rebuilt when any source it
# bundles, the lockfile or the build script changes.
SOURCES := $(shell find cmd pkg -name '*.ts' -not -name '*.test.ts' 2>/dev/null) package.json package-lock.json scripts/build.ts

.PHONY: all clean typecheck test

all: dist/tsk

dist/tsk: $(SOURCES)
	node --import tsx scripts/build.ts

typecheck:
	npx tsc --noEmit -p .

test: dist/tsk
	sh scripts/test.sh

clean:
	rm -rf dist
