# syntax=docker/dockerfile:1
# Directory's container image: the one static binary (CGO_ENABLED=0: the
# SQLite driver is pure Go) on a distroless base, run as a non-root user,
# with the SQLite data folder as a volume.
#
#   docker build -t directory .
#   docker run -p 8080:8080 -v directory-data:/data directory
#
# With PostgreSQL, set DATABASE_URL; deploy/compose.yaml runs three
# replicas behind HAProxy.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG BUILD_DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.buildDate=${BUILD_DATE}" \
      -o /out/directory ./cmd/directory \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/directory /usr/local/bin/directory
# The volume's folder belongs to the image's user (nonroot, 65532).
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV DIRECTORY_DATA_DIR=/data \
    DIRECTORY_ADDR=:8080
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/directory", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/directory"]
CMD ["serve"]
