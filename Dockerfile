# foundry-chat: production image. Build: docker build -t foundry-chat .
# Run:  docker run -p 8080:8080 -v foundry-data:/data foundry-chat
# (models, BYOM registrations and the chat database live on the /data volume)

# --- the WebGPU page's runtime, from the npm registry (no CDN at run time) -----------------------
FROM node:20-bookworm-slim AS webgpu
WORKDIR /build
COPY webgpu/package.json webgpu/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# --- the app ----------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app \
 && mkdir -p /data && chown app:app /data
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt
COPY --chown=app:app . .
COPY --chown=app:app --from=webgpu /build/node_modules/onnxruntime-web/dist ./webgpu/node_modules/onnxruntime-web/dist
USER app
ENV MALLOC_ARENA_MAX=2 \
    FOUNDRY_CACHE_DIR=/data/foundry \
    CHAT_DB_URL=sqlite+aiosqlite:////data/chat.db \
    LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
# Liveness only: /healthz never touches a backend. Use /readyz for load-balancer readiness.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import sys,urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status != 200)"
# SIGTERM drains running answers for SHUTDOWN_GRACE (20 s) before exiting: give the orchestrator more.
STOPSIGNAL SIGTERM
CMD ["chainlit", "run", "app.py", "--host", "0.0.0.0", "--port", "8080", "--headless"]
