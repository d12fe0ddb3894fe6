# syntax=docker/dockerfile:1
# One image for every Roomcast service; the command picks the service:
#   docker run roomcast node services/ingress/src/main.ts
# (control-plane, ingress, dispatcher, pull, log-sink, or all for the all-in-one process).
# The Node version is the one scripts/node.sh pins; test/deploy/dockerfile.test.ts checks it.

# --- base: the pinned Node LTS and pnpm ---------------------------------------------------
FROM node:22.23.3-bookworm-slim AS base
ENV PNPM_HOME=/pnpm \
    PATH=/pnpm:$PATH \
    CI=true
RUN npm install --global --no-fund --no-audit pnpm@10.34.9
WORKDIR /app

# --- build: every dependency from the lockfile, then the Prisma client ----------------------
FROM base AS build
# Only the lockfile first, so the package download is cached until the lockfile changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --frozen-lockfile
COPY . .
RUN pnpm install --offline --frozen-lockfile
# Prisma's CLI asks for a schema-engine binary even for `generate`, which does not use it (the
# client is engine-free, through @prisma/adapter-pg); any executable satisfies the check, so the
# build downloads no native engine. Migrations are plain SQL applied by the services themselves.
WORKDIR /app/packages/db
RUN PRISMA_SCHEMA_ENGINE_BINARY=/bin/true CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 \
    node node_modules/prisma/build/index.js generate
WORKDIR /app

# --- prod: the same tree with production dependencies only ---------------------------------
FROM build AS prod
RUN rm -rf node_modules packages/*/node_modules services/*/node_modules \
    && pnpm install --offline --frozen-lockfile --prod \
    && rm -rf test .ci .tools .local

# --- runtime: Node, the sources (run by Node's type stripping) and their dependencies -------
FROM node:22.23.3-bookworm-slim AS runtime
LABEL org.opencontainers.image.title="roomcast" \
      org.opencontainers.image.description="Kafka-native event pub/sub platform (GovStack Information Mediator pub/sub API)" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    ROOMCAST_HOST=0.0.0.0 \
    ROOMCAST_PORT=8080 \
    ROOMCAST_LOG_ARCHIVE_DIR=/var/lib/roomcast/log-archive
WORKDIR /app
COPY --from=prod --chown=root:root /app /app
# The only writable place the services need: the message-log archive folder (mount a volume).
RUN mkdir -p /var/lib/roomcast/log-archive && chown -R 1000:1000 /var/lib/roomcast
# The image's unprivileged `node` user, by number so Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.ROOMCAST_PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The all-in-one process unless a service is named.
CMD ["node", "services/all/src/main.ts"]
