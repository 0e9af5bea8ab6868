# The bot (Python 3.11). Rasa runs in its own official image (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY bot ./bot
COPY handlers ./handlers
COPY content ./content
COPY config.yml .
RUN useradd --create-home teman && mkdir -p /app/var && chown teman /app/var
USER teman
EXPOSE 8000
CMD ["sh", "-c", "python -m bot migrate && python -m bot serve"]
