"""Copy: a large object into the workspace through Airlock's REST API (a job that streams
it to disk and checks its sha256 against the folder's SHA256SUMS), against boto3's
``download_file`` of the same object followed by a sha256 of the file; and the Jupyter
server's memory meanwhile."""

from __future__ import annotations

import hashlib
import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

from boto3.s3.transfer import TransferConfig

from bench.common import (
    BUCKET,
    BenchError,
    Bound,
    Note,
    Outcome,
    Ratio,
    Scale,
    Servers,
    alternate,
    progress,
    seconds,
    timed,
)
from jupyterlab_airlock.jobs import FINISHED
from jupyterlab_airlock.offline import sha256_file

FOLDER = "large/"
MiB = 1 << 20
FULL_SIZES = (256 * MiB, 1024 * MiB)
QUICK_SIZES = (16 * MiB, 64 * MiB)
# A copy is done when its file appears in the workspace (the job renames it there once whole
# and verified): the bench looks for it this often, which costs the server nothing, and asks
# the server about the job only this often, to notice a failure.
LOOK_INTERVAL = 0.002
POLL_INTERVAL = 0.25
RATIO_LIMIT = 1.15
MEMORY_LIMIT_MIB = 64
# moto reads the whole object for every GET, even a ranged one, so download_file's default
# (8 MiB ranges, 10 at a time) would make moto read 1 GiB per 8 MiB sent: the baseline would
# measure moto. One stream is also what the API does.
ONE_STREAM = TransferConfig(multipart_threshold=1 << 40)


def run(servers: Servers, scale: Scale) -> Iterator[Outcome]:
    sizes = QUICK_SIZES if scale.quick else FULL_SIZES
    keys = upload(servers, sizes)
    # Memory is measured from here: the server has listed the folder, so its S3 client and
    # the modules behind it are loaded, as they are for any copy a user starts.
    servers.jupyter.get("/airlock/artifacts", prefix=FOLDER)
    idle = _status_bytes(servers.jupyter_pid, "VmRSS")
    hash_rate = _sha256_rate()
    for size, key in zip(sizes, keys, strict=True):
        yield from _compare(servers, scale, size, key, idle, hash_rate)


def _compare(
    servers: Servers, scale: Scale, size: int, key: str, idle: int, hash_rate: float
) -> Iterator[Outcome]:
    """The API against download_file, and against download_file then a sha256 of the file
    (what the same check costs by hand); with the CPU each spends, and the server's memory."""
    label = _size(size)
    s3 = servers.s3()
    copied = servers.root_dir / f"copied-{label.replace(' ', '')}.bin"
    downloaded = servers.root_dir / f"downloaded-{label.replace(' ', '')}.bin"
    peaks: list[int] = []
    server_cpu: list[float] = []
    client_cpu: list[float] = []

    def api_copy() -> float:
        _settle()
        _reset_peak(servers.jupyter_pid)
        cpu = _cpu_seconds(servers.jupyter_pid)
        elapsed = _copy_through_api(servers, key, copied)
        server_cpu.append(_cpu_seconds(servers.jupyter_pid) - cpu)
        peaks.append(_status_bytes(servers.jupyter_pid, "VmHWM"))
        copied.unlink()
        return elapsed

    def download() -> float:
        _settle()
        cpu = time.process_time()  # every thread of this process: download_file uses several
        elapsed = timed(lambda: s3.download_file(BUCKET, key, str(downloaded), Config=ONE_STREAM))
        client_cpu.append(time.process_time() - cpu)
        downloaded.unlink()
        return elapsed

    def download_and_hash() -> float:
        _settle()
        start = time.perf_counter()
        s3.download_file(BUCKET, key, str(downloaded), Config=ONE_STREAM)
        sha256_file(downloaded)
        elapsed = time.perf_counter() - start
        downloaded.unlink()
        return elapsed

    progress(f"copy: timing {label}")
    api, plain, checked = alternate(scale.rounds, api_copy, download, download_and_hash)
    # The bar is what a user must do to trust the file by hand: download, then sha256.
    yield Ratio(
        f"copy {label} (sha256 verified, best {size / MiB / min(api):.0f} MiB/s)",
        "API",
        api,
        "boto3 download_file then sha256",
        checked,
        RATIO_LIMIT,
    )
    yield Note(
        f"copy {label}, to explain it",
        f"download_file alone {seconds(statistics.median(plain))} (API / that: "
        f"{statistics.median(api) / statistics.median(plain):.2f}) | CPU per copy: Jupyter "
        f"server {statistics.median(server_cpu):.2f} s, download_file "
        f"{statistics.median(client_cpu):.2f} s; sha256 of {label} alone "
        f"{size / MiB / hash_rate:.2f} s ({hash_rate:.0f} MiB/s)",
    )
    # The highest peak of all rounds (the warm-up too), above the server's memory before the
    # first copy: what a user's server must have room for.
    yield Bound(
        f"copy {label}: Jupyter server peak memory growth", (max(peaks) - idle) / MiB, "MiB",
        MEMORY_LIMIT_MIB,
    )  # fmt: skip


def _copy_through_api(servers: Servers, key: str, copied: Path) -> float:
    """Seconds from asking for the copy to its file being in place; then the job must say
    that it succeeded and verified the sha256."""
    start = time.perf_counter()
    job = servers.jupyter.post(
        "/airlock/artifacts/copy", {"key": key, "destination": copied.name, "overwrite": True}
    )
    next_poll = start + POLL_INTERVAL
    while not copied.exists() and job["state"] not in FINISHED:
        time.sleep(LOOK_INTERVAL)
        if time.perf_counter() >= next_poll:
            job = servers.jupyter.get(f"/airlock/jobs/{job['id']}")
            next_poll += POLL_INTERVAL
    elapsed = time.perf_counter() - start
    while job["state"] not in FINISHED:  # the last log line and the record, just after
        time.sleep(LOOK_INTERVAL)
        job = servers.jupyter.get(f"/airlock/jobs/{job['id']}")
    if job["state"] != "succeeded" or not job["result"]["verified"]:
        raise BenchError(f"the copy of {key} did not succeed verified: {job}")
    return elapsed


def upload(servers: Servers, sizes: tuple[int, ...]) -> list[str]:
    """Put one object of random bytes of each size in FOLDER, with their SHA256SUMS."""
    s3 = servers.s3()
    keys: list[str] = []
    sums: list[str] = []
    scratch = servers.root_dir.parent / "upload.bin"
    for size in sizes:
        name = f"blob-{_size(size).replace(' ', '')}.bin"
        progress(f"copy: uploading {name}")
        start = time.perf_counter()
        digest = hashlib.sha256()
        with scratch.open("wb") as out:
            for _ in range(size // MiB):
                chunk = os.urandom(MiB)  # incompressible, like most large artifacts
                digest.update(chunk)
                out.write(chunk)
        s3.upload_file(str(scratch), BUCKET, FOLDER + name)
        scratch.unlink()
        progress(f"copy: {name} uploaded in {seconds(time.perf_counter() - start)}")
        keys.append(FOLDER + name)
        sums.append(f"{digest.hexdigest()}  {name}\n")
    s3.put_object(Bucket=BUCKET, Key=f"{FOLDER}SHA256SUMS", Body="".join(sums).encode())
    return keys


def _sha256_rate() -> float:
    """MiB/s of sha256 on this CPU, hashing 1 MiB pieces."""
    piece = os.urandom(MiB)
    digest = hashlib.sha256()
    start = time.perf_counter()
    for _ in range(256):
        digest.update(piece)
    return 256 / (time.perf_counter() - start)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time ``pid`` has used, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _settle() -> None:
    """Start each copy from a clean page cache: each side deletes its file as soon as it is
    timed (so that it is never written back), and what is still dirty is written now, not
    while the next copy is timed."""
    os.sync()


def _reset_peak(pid: int) -> None:
    """Reset the kernel's high-water mark of ``pid``'s resident memory (VmHWM) to what it
    holds now: read after the copy, it then gives the copy's peak, however short."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _status_bytes(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0]) * 1024  # the kernel counts in kB
    raise BenchError(f"/proc/{pid}/status has no {field}: a Linux kernel is needed")


def _size(size: int) -> str:
    return f"{size // (1 << 30)} GiB" if size % (1 << 30) == 0 else f"{size // MiB} MiB"
