FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY definitions definitions
COPY workflows workflows
COPY activities activities
COPY storage storage
COPY api api
COPY worker worker
RUN pip install --no-cache-dir .
ENV RELAY_API_HOST=0.0.0.0
CMD ["relay", "api"]
