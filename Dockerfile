# Multi-stage build of both binaries; the runtime image holds only them and CA certificates.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin upc-api --bin upc-worker

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/upc --create-home upc
COPY --from=build /src/target/release/upc-api /src/target/release/upc-worker /usr/local/bin/
USER upc
WORKDIR /var/lib/upc
ENV UPC_DATA_DIR=/var/lib/upc/data UPC_BIND=0.0.0.0:8080
EXPOSE 8080
CMD ["upc-api", "serve"]
