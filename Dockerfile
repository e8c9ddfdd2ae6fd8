# fcstats in a container: `docker build -t fcstats .`
# Build stage: the official Rust image (Debian bookworm), the exact Cargo.lock.
FROM rust:1-bookworm AS build
WORKDIR /src
# zlib (for libssh2) built in statically: distroless cc has no libz.so.
ENV LIBZ_SYS_STATIC=1
COPY Cargo.toml Cargo.lock ./
# .cargo/config.toml: the C flags that compile libssh2's SHA-1 algorithms in.
COPY .cargo ./.cargo
COPY src ./src
RUN cargo build --release --locked \
    && strip target/release/fcstats \
    && mkdir -p /out/volume/data /out/volume/page \
    && chmod 1777 /out/volume/data /out/volume/page \
    && cp target/release/fcstats /out/fcstats

# Run stage: distroless cc (glibc, libgcc, OpenSSL's libssl3, CA certificates,
# a nonroot user), no shell. The binary links libssl dynamically.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/fcstats /usr/local/bin/fcstats
# A folder's contents are copied, not the folder: copying /out/volume to /
# brings /data and /page with their own mode.
COPY --from=build /out/volume/ /
COPY config.example.yaml /etc/fcstats/config.example.yaml
# The database (and anything else that must last) lives in /data. The config is
# read from /etc/fcstats/config.yaml, else /app/config.yaml (the old tool's place).
# /data is mode 1777 (like /tmp): a named volume starts as a copy of it, so that
# `--user "$(id -u):$(id -g)"` can write there too; fcstats's own files in it are
# 0600. /page, made the same way but no volume of its own, is where the README's
# recipe mounts the volume a web server serves (`poll --page /page/status`).
ENV FCSTATS_DB=/data/fcstats.db \
    HOME=/home/nonroot
VOLUME ["/data"]
WORKDIR /data
USER 65532:65532
ENTRYPOINT ["fcstats"]
CMD ["poll"]
