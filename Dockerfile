# secwg container image.
#   make docker                 # stamps the version from `git describe`
#   docker build -t secwg .     # or: podman build -t secwg .   or: buildah bud -t secwg .
#
# Plain Dockerfile syntax only (no BuildKit extensions), and base images named in
# full, so every engine reads it the same way and none needs short-name resolution.
# Each base is pinned by the digest of its multi-platform index; the comment above
# it names the tag the digest was taken from. To move to a newer build of a tag:
#   crane digest <image>:<tag>    (or: skopeo inspect --format '{{.Digest}}' docker://<image>:<tag>)

# docker.io/library/golang:1.26.8-bookworm
FROM docker.io/library/golang@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The version stamped into the binary, first found of: --build-arg VERSION, the
# VERSION file `make docker` writes, `git describe` over the .git directory in the
# build context, else "unknown".
ARG VERSION=
# Static binary: the runtime image has no libc. Time zones are embedded in the binary.
RUN version="${VERSION:-$(cat VERSION 2>/dev/null)}"; \
    version="${version:-$(git -c safe.directory=/src describe --tags --always --dirty 2>/dev/null)}"; \
    version="${version:-unknown}"; \
    echo "secwg version: ${version}"; \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/secwg/secwg/internal/version.Version=${version}" \
      -o /out/secwg ./cmd/secwg

# distroless/static carries CA certificates and a nonroot user, and nothing else.
# gcr.io/distroless/static-debian12:nonroot
FROM gcr.io/distroless/static-debian12@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
COPY --from=build /out/secwg /usr/local/bin/secwg
USER 65532:65532
# 8080: webhook, /healthz, /readyz. 9090: /metrics and the status page (the admin port).
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/secwg"]
CMD ["serve"]
