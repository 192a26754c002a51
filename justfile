# conductor — run `just --list` to see what is here.
set shell := ["bash", "-euo", "pipefail", "-c"]

export PATH := justfile_directory() + "/node_modules/.bin:" + env_var('PATH')

# Install Debian prerequisites (debootstrap, iptables, iproute2, ...) and the npm packages
setup:
    bash scripts/setup.sh

# Build both demo images, start es-cont and cs-cont, wire their network; open http://localhost:3000
up:
    node scripts/run-bundled.mjs scripts/service-orchestrator.ts

# Stop the demo containers and remove everything they made
down:
    node scripts/run-bundled.mjs scripts/service-orchestrator.ts down

# Show conductor's containers
status:
    node dist/conductor.cjs ps -a

# Show the demo containers' logs
logs:
    @echo "--- es-cont"; node dist/conductor.cjs logs es-cont || true
    @echo "--- cs-cont"; node dist/conductor.cjs logs cs-cont || true

# Bring a stack up (default: the demo as a stack, stacks/demo.ts); a second run changes nothing
stack-up file="stacks/demo.ts":
    tsx scripts/stack.ts up {{file}}

# Take a stack down (named volumes stay)
stack-down file="stacks/demo.ts":
    tsx scripts/stack.ts down {{file}}

# Print a stack's Kubernetes manifests: just kube [FILE] [--registry HOST:PORT]
kube file="stacks/demo.ts" *args="":
    tsx scripts/stack.ts kube {{file}} {{args}}

# Build an image: just build NAME FILE
build name file="Conductorfile":
    node dist/conductor.cjs build {{name}} {{file}}

# Run every test (unit, then root integration); ends with "N passed, N failed"
test:
    npm test

# Type-check, check module layering, run the unit tests
check:
    npm run check

# Benchmarks against podman, runc and the raw floor; writes BENCHMARKS.md, then OCI export/import vs podman save/load
# (just bench GROUP...: only those groups, to bench/last-run.md)
bench *groups:
    tsx bench/run.ts {{groups}}
    if [ -z "{{groups}}" ]; then tsx bench/oci.ts; fi

# Stop every container, remove images, layers and the cached bases
clean:
    node dist/conductor.cjs stop --all
    node dist/conductor.cjs rmcache --all
