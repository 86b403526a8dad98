# One image for every Tollgate app; docker-compose.yml picks the app with `npm run start:<app>`.
# The apps run their TypeScript sources through SWC (tools/register.cjs), so dev dependencies stay installed.
FROM node:20-bookworm

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# The generated Prisma client is committed (and checked for drift), so nothing is generated here.
COPY --chown=node:node . .
RUN chown node:node /app

USER node
ENV HOST=0.0.0.0 \
    TOLLGATE_DATA_DIR=/app/.data
CMD ["npm", "start"]
