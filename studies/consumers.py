"""WebSocket consumer pushing a job's progress to whoever may view that job."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from studies import selectors
from studies.models import AnalysisJob, job_progress_group_name
from studies.services import job_progress_message

CLOSE_NOT_FOUND = 4404


class JobProgressConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/jobs/<uuid>/`: the current state on connect, then every `job.progress` event."""

    async def connect(self):
        job_id = self.scope["url_route"]["kwargs"]["job_id"]
        job = await self._viewable_job(job_id)
        if job is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group_name = job_progress_group_name(job.id)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self.send_json(job_progress_message(job))

    async def disconnect(self, code):
        group_name = getattr(self, "group_name", None)
        if group_name:
            await self.channel_layer.group_discard(group_name, self.channel_name)

    async def job_progress(self, event):
        message = {"type": "job.progress", "status": event["status"], "progress": event["progress"]}
        if event.get("detail"):
            message["detail"] = event["detail"]
        await self.send_json(message)

    @database_sync_to_async
    def _viewable_job(self, job_id):
        session = self.scope.get("session")
        try:
            return selectors.analysis_job_get_for_viewer(
                user=self.scope.get("user"),
                session_key=session.session_key if session is not None else None,
                job_id=job_id,
            )
        except AnalysisJob.DoesNotExist:
            return None
