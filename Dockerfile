# resetbridge — production image: compiled JavaScript, production dependencies only, non-root.
# Build: docker build -t resetbridge .
# Run:   docker run -p 3000:3000 -e RESETBRIDGE_CONFIG=/config/resetbridge.yaml -v ./config:/config:ro resetbridge

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
COPY views ./views
COPY scripts ./scripts
COPY assets-src ./assets-src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
RUN mkdir -p /var/lib/resetbridge && chown node:node /var/lib/resetbridge
USER node
EXPOSE 3000
# SIGTERM stops accepting, finishes in-flight requests and queued work, then exits.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:3000/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
