# airlift container image, for the Kubernetes manifests in manifests/. Node 24, the current LTS
# (airlift supports Node 20, 22 and 24; CI tests all three).
#   docker build -t airlift:0.1.0 .
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts
COPY cmd cmd
COPY src src
RUN npm run build

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
RUN chmod +x dist/cmd/airlift.js && ln -s /app/dist/cmd/airlift.js /usr/local/bin/airlift
# The "node" user of the base image (uid 1000), as the manifests' runAsUser expects.
USER 1000:1000
ENTRYPOINT ["airlift"]
