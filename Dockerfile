# syntax=docker/dockerfile:1
# agentmcp: a static binary on a distroless base, running as a non-root user.
#
#   docker build --build-arg VERSION=1.2.3 --build-arg COMMIT=$(git rev-parse --short HEAD) -t agentmcp .
#   docker run -i --rm -e DATAGRID_API_KEY agentmcp                       # stdio (the default)
#   docker run --rm -p 8080:8080 -e AGENTMCP_HTTP_TOKEN agentmcp \
#       --transport http --addr 0.0.0.0:8080                                # streamable HTTP at /mcp

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS TARGETARCH
ARG VERSION=dev
ARG COMMIT=
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/agentmcp . && \
    mkdir -p /out/home/.local/state/agentmcp

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL io.modelcontextprotocol.server.name="io.github.agentmcp/agentmcp"
LABEL org.opencontainers.image.title="agentmcp" \
      org.opencontainers.image.description="MCP server that creates AI agents on vendor platforms, one create_agent tool per vendor" \
      org.opencontainers.image.source="https://github.com/agentmcp/agentmcp" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/agentmcp /usr/local/bin/agentmcp
# The journal lives in $HOME/.local/state/agentmcp. The directory exists and
# belongs to nonroot, so a named volume mounted there starts writable
# (Docker would otherwise create the mount point owned by root).
COPY --from=build --chown=65532:65532 /out/home/ /home/nonroot/
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/agentmcp"]
CMD ["--transport", "stdio"]
