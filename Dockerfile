# lockstep's image: the fully static binary from scripts/build-static on an
# empty base. What is tested (scripts/build-static, the chroot smoke test) is
# what ships: this file only runs that script and copies its output.
#
#   docker build -t lockstep .
#   docker run --rm -v "$PWD/migrations:/migrations:ro" -e DATABASE_URL=... lockstep
FROM debian:bookworm AS builder
WORKDIR /src
COPY . .
RUN scripts/build-static \
 && mkdir -p /rootfs/etc /rootfs/migrations /rootfs/tmp \
 && cp build-static/lockstep /rootfs/lockstep \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/ca-certificates.crt \
 && echo 'lockstep:x:65532:65532:lockstep:/:/sbin/nologin' > /rootfs/etc/passwd \
 && echo 'lockstep:x:65532:' > /rootfs/etc/group \
 && chmod 1777 /rootfs/tmp

FROM scratch
LABEL org.opencontainers.image.title="lockstep" \
      org.opencontainers.image.description="PostgreSQL schema migrations, Alembic-style, for Kubernetes" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/lockstep/lockstep"
COPY --from=builder /rootfs/ /
ENV SSL_CERT_FILE=/ca-certificates.crt \
    PGSSLROOTCERT=/ca-certificates.crt \
    LOCKSTEP_MIGRATIONS=/migrations
USER 65532:65532
ENTRYPOINT ["/lockstep"]
CMD ["upgrade", "heads"]
