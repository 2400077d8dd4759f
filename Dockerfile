# syntax=docker/dockerfile:1
# backtest-gitops controller image: `backtestctl serve --config /etc/backtest-gitops/controller.yaml`.
# Build:  docker build -t backtest-gitops:0.1.0 .
# Runs as uid 10001 with a read-only root filesystem; the only writable paths are the
# cache volume (/var/cache/backtest-gitops) and /tmp (mount an emptyDir for both).

ARG NODE_IMAGE=node:22.23-bookworm-slim

# ---- build: dev dependencies, TypeScript -> dist/ ----------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.mjs scripts/
COPY src src
RUN npm run build

# ---- deps: production dependencies only ---------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime -------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=""
LABEL org.opencontainers.image.title="backtest-gitops" \
      org.opencontainers.image.description="GitOps controller for backtests on Apache Airflow / AWS MWAA" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE}"

# git: the config repository is fetched with the git CLI. tini: PID 1 that forwards SIGTERM
# and reaps the git child processes. ca-certificates: HTTPS to GitHub and AWS.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 backtest \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/cache/backtest-gitops --shell /usr/sbin/nologin backtest \
 && mkdir -p /var/cache/backtest-gitops /etc/backtest-gitops \
 && chown 10001:10001 /var/cache/backtest-gitops

WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /src/dist dist
COPY package.json ./
# Read at run time from beside dist/: `backtestctl init` copies the starter repository and
# the editor schemas (test/docker/packaging.test.ts keeps this list complete).
COPY templates templates
COPY schema schema
RUN ln -s /app/dist/cli/main.js /usr/local/bin/backtestctl && chmod 0755 /app/dist/cli/main.js

# HOME points into the cache volume so git (and anything else) can write its dotfiles with a
# read-only root filesystem; TMPDIR is /tmp (an emptyDir in Kubernetes).
ENV NODE_ENV=production \
    HOME=/var/cache/backtest-gitops \
    TMPDIR=/tmp \
    BACKTEST_GITOPS_CACHE_DIR=/var/cache/backtest-gitops \
    GIT_CONFIG_NOSYSTEM=1 \
    NODE_OPTIONS=--enable-source-maps
VOLUME ["/var/cache/backtest-gitops"]
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli/main.js"]
CMD ["serve", "--config", "/etc/backtest-gitops/controller.yaml"]
