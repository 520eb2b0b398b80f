# Common Kadanoff commands. `just --list` shows them.

# Build every paper at paper scale and write out/.
build *ARGS:
    go run ./cmd/kadanoff build {{ARGS}}

# Build with the small quick profile.
quick *ARGS:
    go run ./cmd/kadanoff build --profile quick {{ARGS}}

# Run the tests (what CI runs).
test:
    go test ./...

# Build, then print where the reports are.
report: build
    @echo "open out/index.html"

# Show every step as cached, stale or missing.
status *ARGS:
    go run ./cmd/kadanoff status {{ARGS}}

# Kernel throughput (beside numpy and PyTorch when installed), then the go test benchmarks.
bench:
    go run ./cmd/kadanoff bench ising
    go run ./cmd/kadanoff bench gemm
    go run ./cmd/kadanoff bench rbm
    go run ./cmd/kadanoff bench mlp
    go run ./cmd/kadanoff bench nrg
    go test -run '^$' -bench . -benchmem ./experiments/...

# Format and vet.
check:
    gofmt -l . && go vet ./...
