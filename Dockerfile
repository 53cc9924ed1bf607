# lockstep's image: the fully static binary from scripts/build-static on an
# empty base, its root filesystem made by scripts/image-rootfs. What is tested
# is what ships: the suite (tests/image) builds this file's last stage from
# the same script's output (`--build-context builder=<folder holding rootfs/>`),
# and scripts/build-image builds the whole file and runs the same tests.
#
#   docker build -t lockstep --build-arg VERSION=1.2.0 --build-arg REVISION=$(git rev-parse HEAD) .
#   docker run --rm --read-only -v "$PWD/migrations:/migrations:ro" -e DATABASE_URL lockstep
#
# Your own migrations in an image of their own:
#   FROM lockstep
#   COPY migrations /migrations

# The builder's base; scripts/build-image passes a local debootstrap one when
# the registry cannot be reached.
ARG BUILDER_IMAGE=debian:bookworm

FROM ${BUILDER_IMAGE} AS builder
WORKDIR /src
# Only what the static build needs (not PostgreSQL, Alembic or the test tools),
# then libpq and cpprestsdk rebuilt from Debian's sources: layers of their
# own, so a change to lockstep's sources rebuilds only lockstep.
COPY scripts/bootstrap scripts/build-static scripts/
RUN scripts/bootstrap --build-only && scripts/build-static --deps-only
COPY . .
RUN scripts/build-static && scripts/image-rootfs build-static/lockstep /rootfs

FROM scratch
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="lockstep" \
      org.opencontainers.image.description="PostgreSQL schema migrations, Alembic-style, for Kubernetes" \
      org.opencontainers.image.source="https://github.com/lockstep/lockstep" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=builder /rootfs/ /
ENV SSL_CERT_FILE=/ca-certificates.crt \
    PGSSLROOTCERT=/ca-certificates.crt \
    LOCKSTEP_MIGRATIONS=/migrations
USER 65532:65532
ENTRYPOINT ["/lockstep"]
CMD ["upgrade", "heads"]
