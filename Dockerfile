# The hook server image: `make docker-build IMG=...` builds it; `make deploy IMG=...` runs it.
FROM python:3.11-slim-bookworm

# No .pyc writes at run time (the root filesystem is read-only), logs unbuffered.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The pinned requirements get their own layer, so a code change reuses it.
COPY requirements.txt .
RUN pip install --no-cache-dir --requirement requirements.txt

COPY gunicorn.conf.py .
COPY hooks/ hooks/
# Compile once at build time, since the running container cannot write.
RUN python -m compileall -q hooks gunicorn.conf.py

# Any non-root uid works; a numeric one lets Kubernetes prove runAsNonRoot.
USER 10001:10001
EXPOSE 8080
CMD ["gunicorn", "--config", "gunicorn.conf.py"]
