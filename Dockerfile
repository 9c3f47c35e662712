# syntax=docker/dockerfile:1
# otelcol-tasker as a container image: the distribution built by ocb (make build) as a
# static binary (CGO_ENABLED=0), on a distroless base with no shell and no package
# manager, running as the distroless "nonroot" user (65532).
#
#   make image                       # docker or podman, whichever is installed
#   make image CONTAINER=podman IMAGE=registry.example/otelcol-tasker:0.1.0
#
# The image ships otelcol-config.yaml as /etc/otelcol-tasker/config.yaml. Its endpoints
# listen on 127.0.0.1, which is unreachable from outside a container: publish them with
# --set (or mount your own config), and give the registry a token or auth when it
# listens beyond loopback, e.g.
#
#   docker run --rm -p 4317:4317 -p 4321:4321 -e TASKER_REGISTRY_TOKEN=... otelcol-tasker:0.1.0 \
#     --config /etc/otelcol-tasker/config.yaml \
#     --set receivers::otlp::protocols::grpc::endpoint=0.0.0.0:4317 \
#     --set extensions::tasker_registry::endpoint=0.0.0.0:4321 \
#     --set 'extensions::tasker_registry::token=${env:TASKER_REGISTRY_TOKEN}'
#
# Relative paths of the config (./out/...) resolve in the working directory
# /var/lib/otelcol-tasker, writable by the nonroot user: mount a volume there to keep the
# files, the persistent queues and the checkpoints.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# Module downloads first, so that a change of source reuses them.
COPY go.mod go.sum ./
COPY internal/tools/go.mod internal/tools/go.sum internal/tools/
RUN go mod download && cd internal/tools && go mod download
COPY . .
# ocb (bin/builder, built from internal/tools) generates _build/ and compiles it; it
# inherits CGO_ENABLED=0, so the binary is static.
RUN make build && ./_build/otelcol-tasker --version \
 && mkdir -p /rootfs/var/lib/otelcol-tasker /rootfs/etc/otelcol-tasker \
 && cp otelcol-config.yaml /rootfs/etc/otelcol-tasker/config.yaml

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/_build/otelcol-tasker /usr/bin/otelcol-tasker
COPY --from=build /rootfs/etc/otelcol-tasker /etc/otelcol-tasker
COPY --from=build --chown=65532:65532 /rootfs/var/lib/otelcol-tasker /var/lib/otelcol-tasker
WORKDIR /var/lib/otelcol-tasker
USER 65532:65532
# OTLP gRPC, OTLP HTTP, tasker HTTP, tasker_registry, health_check.
EXPOSE 4317 4318 4320 4321 13133
ENTRYPOINT ["/usr/bin/otelcol-tasker"]
CMD ["--config", "/etc/otelcol-tasker/config.yaml"]
