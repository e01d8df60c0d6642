"""async_status: how an ``async:`` job is doing, and its result once it has finished."""

from __future__ import annotations

from typing import Any

from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.asyncjob import RemoteJob, async_dir


@register("async_status")
class AsyncStatus(Module):
    """Report an async job's status (`finished`), and its module's result once finished."""

    supports_async = False
    args = {
        "jid": Arg("str", required=True, description="The job id (`ansible_job_id`)."),
        "mode": Arg(
            "str",
            default="status",
            choices=("status", "cleanup"),
            description="`status`: report it; `cleanup`: remove the job's directory on the "
            "host (`erased`), without waiting for the job or ending it.",
        ),
    }
    returns = {
        "ansible_job_id": "the job id",
        "started": "true: the job was started",
        "finished": "true once the job has ended; then the module's own result as well "
        "(`rc`, `stdout`, `changed`, `failed` …)",
        "results_file": "the job's directory on the host (a job of `command`/`shell`)",
        "erased": "the directory `mode: cleanup` removed",
        "child_pid": "the job's process group, when it was ended at its `async` limit",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        jid, cleanup = str(args["jid"]), args["mode"] == "cleanup"
        job = ctx.jobs.get(ctx.host, jid)
        if job is not None:  # a job the run holds on the controller
            if cleanup:
                ctx.jobs.forget(ctx.host, jid)
                return Result(values={"ansible_job_id": jid, "erased": jid})
            return _of(job.status())
        remote = RemoteJob(jid, async_dir(ctx))
        if cleanup and ctx.check:  # reads the job, removes nothing
            status = remote.status(ctx)
            return _of(status if status.get("failed") else _erased(jid, status))
        return _of(remote.cleanup(ctx) if cleanup else remote.status(ctx))


def _erased(jid: str, status: dict[str, Any]) -> dict[str, Any]:
    return {"changed": False, "ansible_job_id": jid, "erased": status.get("results_file")}


def _of(status: dict[str, Any]) -> Result:
    unknown = bool(status.pop("_pbe_unknown", False))
    return Result.of(status, unknown=unknown)
