# The example app (examples/hello.py) under gunicorn: docs/deploying.md, "A container".
#   docker build -t carboy-hello . && docker run --rm -p 8000:8000 carboy-hello
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The package first, so editing the app does not reinstall its dependencies. (DL3013
# asks for pinned versions: this installs the project itself, whose pyproject.toml
# states its dependencies' ranges; pin them with a constraints file if you need to.)
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
# hadolint ignore=DL3013
RUN pip install --no-cache-dir ".[server]" \
    && groupadd --gid 10001 app \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin app
COPY examples ./examples

# Never run the app as root.
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
CMD ["gunicorn", "--worker-class", "gthread", "--workers", "2", "--threads", "8", "--bind", "0.0.0.0:8000", "examples.hello:app"]
