# The Niaga server. Built by docker-compose.yml; runs TypeScript with tsx (no build step).
FROM node:20-bookworm-slim
WORKDIR /app
COPY . .
RUN npx --yes pnpm@10.34.8 install --frozen-lockfile
ENV PORT=8080 HOST=0.0.0.0
EXPOSE 8080
# A young generation of at most 2 × 8 MB (Node's default grows to 2 × 16 MB and stays resident): see README, Configuration.
CMD ["node", "--max-semi-space-size=8", "--import", "tsx", "sync-server/src/main.ts"]
