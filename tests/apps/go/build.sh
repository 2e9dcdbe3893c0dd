#!/bin/sh
# Builds the Go sample server (stdlib only, no module proxy) into OUTDIR/goserver.
# Usage: tests/apps/go/build.sh OUTDIR [NAME]   (OUTDIR must be outside the source tree or under build/)
set -eu
out=${1:?usage: build.sh OUTDIR [NAME]}
name=${2:-goserver}
src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$src"
GOFLAGS=-mod=mod GOPROXY=off GO111MODULE=on CGO_ENABLED=0 go build -o "$out/$name" .
echo "$out/$name"
