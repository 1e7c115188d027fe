# syntax=docker/dockerfile:1
#
# Hoofbeat image, three binaries: `hoofbeat-api` (HTTP API; `serve` by
# default, `migrate` to apply migrations only), `hoofbeat-worker` (consumes
# the `{HOOFBEAT_AMQP_PREFIX}.jobs` queue; probes and metrics on 9090) and
# `hoofbeat` (offline analysis CLI).
#
#   docker build -t hoofbeat:local .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=... -e AMQP_URL=... hoofbeat:local
#   docker run --rm -e DATABASE_URL=... hoofbeat:local hoofbeat-api migrate
#   docker run --rm -p 9090:9090 -e DATABASE_URL=... -e AMQP_URL=... hoofbeat:local hoofbeat-worker
#
# Needs BuildKit (default in Docker 23+) for the cache mounts.
#
# Checked by scripts/check-deploy (hadolint, checkov); the findings kept on
# purpose are justified where they apply:
# checkov:skip=CKV_DOCKER_2: No HEALTHCHECK on purpose. One image runs three programs (API on 8080, worker on 9090, the CLI on none), so no single check fits; Kubernetes ignores HEALTHCHECK and probes /livez and /readyz itself; and the image carries no curl or wget to run one.

############################ builder ############################
FROM rust:1.95-bookworm AS builder

WORKDIR /src

# sqlx: migrations are embedded at compile time (sqlx::migrate!), and no
# query needs a live database while compiling.
ENV SQLX_OFFLINE=true \
    CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0

# The whole workspace: cargo must see every member listed in Cargo.toml
# even to build some of them, and sqlx::migrate! embeds
# migrations/. target/, .git and the deployment files are kept out by
# .dockerignore; compiled dependencies live in the target/ cache mount, so a
# source change only recompiles the workspace crates.
COPY . .

# x86-64 builds target x86-64-v3 (AVX2, FMA, BMI2: every x86 server CPU
# since 2013-2015, the baseline of RHEL 10): the analysis costs ~9 % less CPU
# (BENCHMARKS.md, "Build for the CPU"), with the same results bit for bit.
# Each binary checks at start-up that its CPU has them and names what is
# missing. For older CPUs: `docker build --build-arg RUST_TARGET_CPU=x86-64 .`
# Other architectures build for their baseline.
ARG RUST_TARGET_CPU=x86-64-v3

# target/ is a cache mount, so the binaries are copied out in the same step.
# Two builds: cargo unifies the features of every package it builds at once,
# so one build would compile the CLI's Parquet export (the `parquet` feature
# of `analysis`, with arrow and parquet) into the API and the worker too.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    if [ "$(uname -m)" = x86_64 ]; then export RUSTFLAGS="-C target-cpu=${RUST_TARGET_CPU}"; fi \
 && cargo build --release --locked \
        -p api --bin hoofbeat-api \
        -p worker --bin hoofbeat-worker \
 && cargo build --release --locked -p analysis --bin hoofbeat \
 && mkdir -p /out \
 && cp target/release/hoofbeat-api target/release/hoofbeat-worker \
       target/release/hoofbeat /out/

############################ runtime ############################
FROM debian:bookworm-slim AS runtime

# ca-certificates is not pinned to a version: Debian replaces it in place
# with each security or CA-list update, so a pinned version stops installing
# (and is the one we would least want). The base image tag fixes the release.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# Numeric UID/GID so that Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 hoofbeat \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin hoofbeat

COPY --from=builder /out/hoofbeat-api /out/hoofbeat-worker /out/hoofbeat /usr/local/bin/

# Container defaults; everything else keeps the application's defaults.
# Both listen addresses default to 127.0.0.1 in the binaries, which nothing
# outside the container (probes, Prometheus) could reach. Each binary reads
# only its own.
# MALLOC_ARENA_MAX=2: glibc otherwise keeps one arena per thread and holds
# the buffers of a burst of uploads after it (measured: 16 one-hour uploads
# twice in a row peak at 163 MiB with it, 194 MiB without; BENCHMARKS.md).
ENV HOOFBEAT_LISTEN_ADDR=0.0.0.0:8080 \
    HOOFBEAT_WORKER_HTTP_ADDR=0.0.0.0:9090 \
    LOG_FORMAT=json \
    RUST_LOG=info \
    MALLOC_ARENA_MAX=2

USER 10001:10001
WORKDIR /tmp
# 8080: API. 9090: worker's /livez, /readyz, /metrics.
EXPOSE 8080 9090

# Kubernetes sends SIGTERM to PID 1: the API (or, with the command replaced,
# the worker) is PID 1 (exec form) and shuts down gracefully on it.
CMD ["hoofbeat-api"]
