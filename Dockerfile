# wiretrace in a container: scan a folder mounted at /data.
#
#   docker build -t wiretrace .
#   docker run --rm -v "$PWD/crawl:/data" wiretrace                 # writes /data/wiretrace-out
#   docker run --rm -v "$PWD/crawl:/data" wiretrace scan /data/pages --out /data/out
#
# The image holds wiretrace and its dependencies only: no browser, no test extras.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /opt/wiretrace
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip install ".[parquet]" && useradd --create-home --uid 1000 wiretrace

USER wiretrace
WORKDIR /data
# wiretrace never reads its own output folder back as input, so the default
# output can live inside the mounted folder
ENTRYPOINT ["wiretrace"]
CMD ["scan", "/data", "--out", "/data/wiretrace-out"]
