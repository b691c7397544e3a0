# Build: docker build -t secwg .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# Static binary: the runtime image has no libc. Time zones are embedded in the binary.
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/secwg/secwg/internal/version.Version=${VERSION}" \
      -o /out/secwg ./cmd/secwg

# distroless/static carries CA certificates and a nonroot user, and nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/secwg /usr/local/bin/secwg
USER 65532:65532
# 8080: webhook, /healthz, /readyz. 9090: /metrics (the admin port).
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/secwg"]
CMD ["serve"]
