"""The member import uploaded on the website runs here, in `chibo worker` (django-tasks), not in
the web server: a web process is recycled after some thousands of requests and restarted on
every deployment, and an import running in one of its threads died with it. A worker killed
mid-import runs the job again from the start after its restart (notify/worker.py); the import
is one transaction, so nothing of the first run remains."""

from __future__ import annotations

from django_tasks import task

from . import importing


@task()
def run_import(job_id: str, user_id: int, language: str) -> str:
    return importing.run_job(job_id, user_id, language)
