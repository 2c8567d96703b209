# Production image: migrations (flask init-db), then gunicorn serving "app:create_app()" as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    ENV=production DEMO_ON_FIRST_START=false PORT=8000 WEB_CONCURRENCY=3

# Monthly reports: Chromium draws the charts (kaleido), DejaVu Sans is the PDF's font (data/report_render.py)
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --system --uid 10001 --home-dir /app emeuse && mkdir -p /app/instance && chown -R emeuse /app/instance
USER emeuse

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import os,urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['PORT'], timeout=4).status == 200 else 1)"

# SECRET_KEY and DATABASE_URL come from the environment; the app refuses a default key in production.
CMD ["sh", "-c", "flask --app app init-db && exec gunicorn --workers ${WEB_CONCURRENCY} --bind 0.0.0.0:${PORT} --access-logfile - --forwarded-allow-ips='*' --preload 'app:create_app()'"]
