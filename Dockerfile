# charterflow worker / webhook receiver / emulator image, in two stages:
# - build: all dependencies, `npm run build` compiles to dist/ and prebuilds the workflow bundle
#   (dist/workflow-bundle.js, bundleWorkflowCode as in temporalio/samples-typescript `production`);
# - runtime: production dependencies and the compiled code only, as the non-root node user; no tsx,
#   and the worker loads the prebuilt bundle (workflowBundle.codePath), so no webpack at start.
# Worker Versioning (docs/upgrades.md): docker build --build-arg BUILD_ID=$(git rev-parse --short HEAD) .
# Configuration comes from the environment only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY activities ./activities
COPY client ./client
COPY emulator ./emulator
COPY platform ./platform
COPY scripts ./scripts
COPY workers ./workers
COPY workflows ./workflows
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The build id this image's workers report when TEMPORAL_WORKER_DEPLOYMENT is set.
ARG BUILD_ID=""
ENV CHARTERFLOW_BUILD_ID=${BUILD_ID}

USER node

# Healthy once the worker polls for workflow tasks (its metrics endpoint; see `charterflow worker --help`).
# Compose gives the webhook receiver its own check (GET /healthz).
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 CMD ["node", "bin/charterflow.js", "worker", "--check"]
ENTRYPOINT ["node", "bin/charterflow.js"]
CMD ["worker"]
