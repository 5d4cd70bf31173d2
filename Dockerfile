# syntax=docker/dockerfile:1
#
# One image for every part of the pipeline; the command picks the part:
#   docker run --rm pra-pipeline:dev poller|enricher|sink|simulator|start|map|check|dlq
#
# Stages: deps (production node_modules only), build (full install + tsc -b),
# runtime (node on Alpine, no npm, no compiler, no sources, runs as uid 1000).
# Size: the Node 24 Alpine base, less npm, corepack and yarn (~20 MB), which are
# removed; the production dependencies are ~65 MB as installed and ~35 MB once type
# declarations, source maps and markdown are pruned; the compiled code is ~2 MB.
# Alpine (musl) is fine because no dependency ships a native addon.

# Node 24, the LTS that CI tests on (scripts/install-node.sh; docs/deploy.md, "Node.js").
ARG NODE_IMAGE=node:24-alpine

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
# Only the manifests, so the dependency layers are rebuilt only when they change.
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/poller/package.json services/poller/
COPY services/enricher/package.json services/enricher/
COPY services/sink/package.json services/sink/
COPY tools/pra-simulator/package.json tools/pra-simulator/
# Fixes to dependencies (patches/README.md). Applied with the base image's
# `patch`, since install scripts are off and patch-package is a dev dependency.
COPY patches/ patches/

FROM base AS deps
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts \
 && for p in patches/*.patch; do patch -p1 -N < "$p"; done \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
      -o -name '*.map' -o -name '*.md' -o -name '*.markdown' \) -delete

FROM base AS build
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts \
 && for p in patches/*.patch; do patch -p1 -N < "$p"; done
COPY tsconfig.base.json tsconfig.build.json ./
COPY shared/ shared/
COPY services/ services/
COPY tools/ tools/
COPY src/ src/
COPY bin/ bin/
RUN npm run build \
 && find . -path ./node_modules -prune -o -type f \( -name '*.map' -o -name '*.d.ts' -o -name '.tsbuildinfo' \) -print \
    | xargs rm -f

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=""
LABEL org.opencontainers.image.title="pra-pipeline" \
      org.opencontainers.image.description="BeyondTrust PRA access-session audit events through Kafka into Elasticsearch" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
# npm, npx, corepack and yarn are not needed to run and are the base image's
# largest source of advisories.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
           /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && mkdir -p /geoip /tmp/pra-pipeline && chown 1000:1000 /tmp/pra-pipeline
WORKDIR /app
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=9464
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/shared/package.json ./shared/
COPY --from=build /app/shared/dist ./shared/dist
COPY --from=build /app/services/poller/package.json ./services/poller/
COPY --from=build /app/services/poller/dist ./services/poller/dist
COPY --from=build /app/services/enricher/package.json ./services/enricher/
COPY --from=build /app/services/enricher/dist ./services/enricher/dist
COPY --from=build /app/services/sink/package.json ./services/sink/
COPY --from=build /app/services/sink/dist ./services/sink/dist
COPY --from=build /app/tools/pra-simulator/package.json ./tools/pra-simulator/
COPY --from=build /app/tools/pra-simulator/dist ./tools/pra-simulator/dist
# The numeric user (the base image's "node") lets Kubernetes check runAsNonRoot.
# Nothing under /app is writable; the process writes only to mounted paths
# (GeoIP databases at /geoip, NDJSON output of `start` under a mounted volume).
USER 1000:1000
EXPOSE 9464
# The operations endpoint of every long-running command; the simulator's
# container overrides this in docker-compose.yml.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||9464)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/pra-pipeline.js"]
CMD ["--help"]
