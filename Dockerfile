# The platform's image: web (gunicorn), Celery workers and beat all run from it.
# Stage 1 builds the browser app (frontend/) to static files.
FROM node:20-bookworm-slim AS frontend
WORKDIR /app/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . .
COPY --from=frontend /app/frontend/dist frontend/dist
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost STATIC_ROOT=/app/static python manage.py collectstatic --noinput
# /scratch: each container's own work folder (VR_SCRATCH_DIR; a tmpfs or an anonymous volume)
RUN useradd --system --create-home app && mkdir -p /data /scratch && chown app /data /scratch
USER app
# Production mode (DJANGO_DEBUG off): the container refuses to start until DJANGO_SECRET_KEY and
# DJANGO_ALLOWED_HOSTS are given (docker-compose.yml passes them; see docs/security.md).
ENV VR_VAR_DIR=/data MEDIA_ROOT=/data/media STATIC_ROOT=/app/static DJANGO_DEBUG=false
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--timeout", "120"]

# nginx in front (docker-compose.yml's `nginx`): the collected static files baked in, sent by
# nginx itself; stored files come from the bucket (presigned) or, on one host, X-Accel-Redirect.
FROM nginx:1.27 AS proxy
COPY --from=app /app/static /srv/static
COPY deploy/nginx.conf /etc/nginx/nginx.conf
