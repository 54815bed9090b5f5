# Gradient Lab as one container: `streamlit run dashboard.py` on $PORT, as a non-root user.
# Build: docker build -t gradient-lab .   Run: docker run -p 8501:8501 gradient-lab
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8501 \
    HOST=0.0.0.0 \
    GRADIENT_LAB_DB=/home/app/data/runs.db

# A CJK font, so Chinese text (the zh locale, run names) draws as glyphs wherever this image
# renders a page or a chart (a headless browser, a screenshot); browsers bring their own.
# Not pinned: the Debian release of the base image decides the version (fonts only).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 app
WORKDIR /home/app/lab

# Dependencies first, so a code change does not reinstall TensorFlow.
COPY requirements.txt ./
RUN pip install --no-cache-dir --no-compile -r requirements.txt

COPY --chown=app:app dashboard.py ./
COPY --chown=app:app charts/ ./charts/
COPY --chown=app:app models/ ./models/
COPY --chown=app:app pages/ ./pages/
COPY --chown=app:app ui/ ./ui/
COPY --chown=app:app locales/ ./locales/
COPY --chown=app:app .streamlit/ ./.streamlit/
USER 1000
RUN mkdir -p /home/app/data

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8501') + '/_stcore/health', timeout=4)"]
CMD ["sh", "-c", "exec streamlit run dashboard.py --server.port=\"${PORT}\" --server.address=\"${HOST}\""]
