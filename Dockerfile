# syntax=docker/dockerfile:1
#
# ringkv node image. One image serves every node of a cluster; the node's
# identity, addresses and seeds come from the command line (see
# docker-compose.cluster.yml).
#
#   docker build -t ringkv:local .
#   docker run --rm ringkv:local node --help

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, compile the TypeScript workspace -------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# CI=true: pnpm never stops to ask (e.g. before replacing node_modules).
ENV CI=true
RUN npm i -g pnpm@10
# A compiler for the install's LevelDB build (scripts/build-leveldb.mjs): the
# patched LevelDB reads tables with pread, so a node's RSS is its own memory.
# Without it the install falls back to the prebuilt LevelDB (tables mapped).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Manifests first, so the dependency layer is reused while only sources change.
# Every workspace package's package.json must be listed here (a test checks it),
# and what `pnpm install` itself reads: the dependency patches and the
# postinstall script.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY patches/ patches/
COPY scripts/build-leveldb.mjs scripts/
COPY packages/cli/package.json packages/cli/
COPY packages/client/package.json packages/client/
COPY packages/core/package.json packages/core/
COPY packages/node/package.json packages/node/
COPY packages/sim/package.json packages/sim/
COPY packages/storage/package.json packages/storage/
COPY packages/tools/package.json packages/tools/
RUN pnpm install --frozen-lockfile
COPY tsconfig.base.json ./
COPY packages/ packages/
RUN pnpm build

# ---- prod: production dependencies only, plus the compiled output ----------
# (Sources stay: they are small, and runtime assets may live beside them.)
# The reinstall builds LevelDB again, with npm's own node-gyp (node-gyp is a
# dev dependency); the runtime stage needs no compiler, only libstdc++.
FROM build AS prod
RUN rm -rf node_modules packages/*/node_modules \
 && pnpm install --frozen-lockfile --prod \
 && find packages -name '*.tsbuildinfo' -delete

# ---- runtime ----------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod --chown=root:root /app /app
# The data directory belongs to the unprivileged `node` user (uid 1000) of the
# base image; a fresh named volume mounted here inherits this ownership.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
# 7001: HTTP API for clients (/health, /kv, /ring, /ui, /metrics)
# 7101: RPC between nodes (gossip, replication, handoff)
EXPOSE 7001 7101
# No curl in slim images: Node's own fetch. Override the URL when the node
# listens elsewhere than 127.0.0.1:7001 (Compose sets its own healthcheck).
ENV RINGKV_HEALTH_URL=http://127.0.0.1:7001/health
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.RINGKV_HEALTH_URL,{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "packages/cli/dist/main.js"]
CMD ["node", "--help"]
