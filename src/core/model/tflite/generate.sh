#!/usr/bin/env bash
# Regenerates the TypeScript accessors for schema.fbs into generated/ (committed; the build does not
# need flatc). Needs flatc 2.x (Debian's `flatbuffers-compiler`); the output is used with npm
# `flatbuffers` 25.x.
set -euo pipefail
cd "$(dirname "$0")"
command -v flatc >/dev/null || { echo "flatc not found (apt-get install flatbuffers-compiler)" >&2; exit 1; }
rm -rf generated
flatc --ts --gen-object-api -o generated schema.fbs
# flatc 2.x imports its own files without an extension; Node's ESM loader (the built package, dist/)
# needs one: name the .ts file, as every other source does, and tsc rewrites it to .js when it emits.
find generated -name '*.ts' -exec sed -i -E "s#(from '\\.{1,2}/[^']+)'#\\1.ts'#" {} +
echo "generated $(find generated -name '*.ts' | wc -l) files with $(flatc --version)"
