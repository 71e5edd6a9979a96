# charterflow worker / webhook receiver / emulator image. Sources run through tsx (a runtime
# dependency), so there is no build step; configuration comes from the environment only.
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# Only what runs in production; tests, .env, .tools/.data and node_modules stay out (.dockerignore too).
COPY bin ./bin
COPY activities ./activities
COPY client ./client
COPY emulator ./emulator
COPY scripts ./scripts
COPY workers ./workers
COPY workflows ./workflows
COPY tsconfig.json ./

USER node

ENTRYPOINT ["node", "bin/charterflow.js"]
CMD ["worker"]
