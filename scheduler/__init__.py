"""The worker process: sends due messages and retries unprocessed webhooks (``python -m scheduler``)."""
