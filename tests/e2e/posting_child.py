"""A posting process of its own, run by the posting tests (``python posting_child.py JOB``,
JOB a JSON object): it posts to the sandbox of the test's process with a sync or async kit.

Jobs (``job["mode"]``):

* ``snapshot``: prepare the post and run it; once chunk 1 is in, write the flow's snapshot to
  ``job["out"]`` and die at once (``os._exit``), as a crashed or stopped worker would.
* ``big``: post the file, then print the result and the process's peak resident memory.
* ``interrupt``: post the file; print ``uploading`` once chunk 1 is in, then keep going until
  the test interrupts it (SIGINT, as Ctrl+C does).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
from typing import Any

import pytok_sm

SNAPSHOT_EXIT = 17


def peak_rss_bytes() -> int:
    """The peak resident memory of this process (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # pragma: no cover - Linux has /proc


def on_progress(job: dict[str, Any], flow: Any) -> Any:
    told: list[bool] = []

    def tell(progress: pytok_sm.PostProgress) -> None:
        if progress.state != "uploading" or progress.chunk != 1 or told:
            return
        told.append(True)
        if job["mode"] == "snapshot":
            with open(job["out"], "w", encoding="utf-8") as out:
                json.dump(flow.snapshot(), out)
            os._exit(SNAPSHOT_EXIT)
        print("uploading", flush=True)

    return tell


def options(job: dict[str, Any]) -> dict[str, Any]:
    return {"privacy_level": "SELF_ONLY", "chunk_size": job.get("chunk_size")}


def run_sync(job: dict[str, Any]) -> pytok_sm.PostResult:
    kit = pytok_sm.LoginKit(job["client_key"], job["client_secret"], base_api_url=job["base_api_url"],
                            token=job["token"])
    flow = kit.prepare_post_video(job["path"], **options(job))
    return kit.run_post(flow, on_progress=on_progress(job, flow))


async def run_async(job: dict[str, Any]) -> pytok_sm.PostResult:
    async with pytok_sm.AsyncLoginKit(job["client_key"], job["client_secret"], base_api_url=job["base_api_url"],
                                      token=job["token"]) as kit:
        flow = await kit.prepare_post_video(job["path"], **options(job))
        return await kit.run_post(flow, on_progress=on_progress(job, flow))


def main() -> None:
    job = json.loads(sys.argv[1])
    result = run_sync(job) if job["kit"] == "sync" else asyncio.run(run_async(job))
    print(json.dumps({"publish_id": result.publish_id, "status": result.status, "peak_rss": peak_rss_bytes()}),
          flush=True)


if __name__ == "__main__":
    main()
