# One image per service, from one Dockerfile. Build from the repository root:
#   docker build --build-arg SERVICE=intake --build-arg PORT=8001 -t complaints-intake .
# Dependencies come from the hash-pinned lock (requirements/runtime.lock), so an image holds
# exactly what the tests ran with.
FROM python:3.11-slim
ARG SERVICE
ARG PORT
RUN test -n "$SERVICE" && test -n "$PORT" || (echo "--build-arg SERVICE and PORT are required" && false)
WORKDIR /app
COPY requirements/runtime.lock requirements/runtime.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.lock
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY cli ./cli
RUN pip install --no-cache-dir --no-deps . && useradd --system --uid 10001 complaints
USER complaints
ENV COMPLAINTS_SERVICE=${SERVICE} COMPLAINTS_HOST=0.0.0.0 COMPLAINTS_PORT=${PORT} PYTHONUNBUFFERED=1
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"COMPLAINTS_PORT\"]}/ready')"
CMD ["sh", "-c", "exec complaints serve \"$COMPLAINTS_SERVICE\""]
