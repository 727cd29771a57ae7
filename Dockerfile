# syntax=docker/dockerfile:1
#
# esaudit as a container image: the release binary on Debian slim, run as a non-root user.
#
#   docker build -t esaudit .
#   docker run --rm -v "$PWD:/src:ro" esaudit scan /src
#
# The FIPS build (all cryptography on the AWS-LC FIPS module, docs/fips.md):
#
#   docker build --build-arg FEATURES=fips -t esaudit:fips .
#
# The final image keeps a shell (/bin/sh), so Kubernetes Jobs and GitLab CI jobs can run
# scripts around esaudit (docs/ci.md, docs/fleets-and-sharding.md).

FROM rust:1-slim-bookworm AS build
# Cargo features to build with: "fips" for the AWS-LC FIPS module, which needs cmake and Go.
ARG FEATURES=""
# hadolint ignore=DL3008
RUN if [ -n "$FEATURES" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends cmake golang-go \
        && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /build
COPY . .
# The cache mounts keep the crates and the build folder between builds of this Dockerfile; the
# binary is copied out of them because they are not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/build/target \
    cargo build --release --locked --features "$FEATURES" \
    && install -m 0755 target/release/esaudit /usr/local/bin/esaudit

FROM debian:bookworm-slim
# ca-certificates: the system's trusted roots, which `--url` and `--es-output` verify against
# when no --ca-cert is given. Not pinned: the roots should be the distribution's current ones.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/esaudit /usr/local/bin/esaudit
# The licence, and those of the crates compiled into the binary (tests/notices.rs keeps the
# notices complete).
COPY LICENSE THIRD-PARTY-NOTICES /usr/share/doc/esaudit/
# A numeric user, so Kubernetes can verify runAsNonRoot without a runAsUser of its own.
RUN groupadd --system --gid 10001 esaudit \
    && useradd --system --uid 10001 --gid esaudit --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin esaudit
USER 10001:10001
# Mount the repository or config folders here: esaudit.toml and esaudit-waivers.yaml in the
# working directory are read by default, and SARIF paths are relative to it.
WORKDIR /src
ENTRYPOINT ["esaudit"]
CMD ["--help"]
