"""``make bench``: speed of sav-bot against Rasa's defaults, side by side in one run.

Starts the whole stack itself (action server and Rasa server(s) on free ports, temporary
databases), sends REST traffic with ``aiohttp``, and prints one table, also written as JSON
to ``reports/bench.json``. Every row is measured for two setups:

- ``ours``: ``config.yml``, several Sanic workers sharing conversations through the Redis lock
  store when Redis is reachable (``scripts/services.sh``), else one worker;
- ``baseline``: the same data and domain with the ``config.yml`` that ``rasa init`` writes
  (``tests/nlu/rasa_init_config.yml``) and one worker.

Trained models are cached under ``reports/bench/models`` keyed by a hash of the training data
and the config, so a re-run does not retrain the baseline (~10-15 min on 2 cores).
Usage: ``python -m savbot.bench [--quick] [--retrain] [--skip-baseline]``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OURS_CONFIG = PROJECT_ROOT / "config.yml"
BASELINE_CONFIG = PROJECT_ROOT / "tests" / "nlu" / "rasa_init_config.yml"
REPORTS = PROJECT_ROOT / "reports"
MODEL_CACHE = REPORTS / "bench" / "models"


# ------------------------------------------------------------------------ training cache

def training_inputs(config: Path, root: Path = PROJECT_ROOT) -> list[Path]:
    """Files a ``rasa train`` with ``config`` reads: the config, ``domain.yml``, ``data/**/*.yml``
    and the source of the custom components and policies the config names
    (``components.faq_clarifier.FaqClarifier`` -> ``components/faq_clarifier.py``)."""
    import yaml

    parsed = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    modules = sorted({item["name"].rsplit(".", 1)[0]
                      for key in ("pipeline", "policies") for item in parsed.get(key) or []
                      if isinstance(item, dict) and "." in str(item.get("name", ""))})
    files = [config, root / "domain.yml", *sorted((root / "data").rglob("*.yml")),
             *(root / f"{module.replace('.', '/')}.py" for module in modules)]
    return [path for path in files if path.is_file()]


def training_hash(config: Path, root: Path = PROJECT_ROOT) -> str:
    """Hex digest (16 characters) of the contents and relative paths of
    :func:`training_inputs` and of the Rasa version: equal hashes mean equal trainings.
    YAML files count by their parsed content, so editing a comment does not retrain."""
    import rasa
    import yaml

    digest = hashlib.sha256(f"rasa {rasa.__version__}\n".encode())
    for path in training_inputs(config, root):
        name = path.relative_to(root) if path.is_relative_to(root) else path.name
        digest.update(f"{name}\n".encode())
        if path.suffix == ".yml":
            content = yaml.safe_load(path.read_text(encoding="utf-8"))
            digest.update(json.dumps(content, sort_keys=True, default=str).encode())
        else:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def training_breakdown(log: str) -> dict[str, float]:
    """Seconds per trained component, from the timestamps (1 s resolution) of ``rasa train``'s
    "Starting to train component 'X'" / "Finished training component 'X'" log lines; a
    component trained twice (two CountVectorsFeaturizer) gets ``X``, ``X #2``."""
    import re
    from datetime import datetime as dt

    pattern = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) INFO .*"
                         r"(Starting to train|Finished training) component '([^']+)'")
    started: dict[str, dt] = {}
    seconds: dict[str, float] = {}
    for line in log.splitlines():
        match = pattern.search(line)  # lines may start with colour codes
        if not match:
            continue
        when = dt.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")
        name = match.group(3)
        if match.group(2) == "Starting to train":
            key, n = name, 1
            while key in seconds or key in started:
                n += 1
                key = f"{name} #{n}"
            started[key] = when
        else:
            key = next((k for k in started if k == name or k.startswith(f"{name} #")), None)
            if key is not None:
                seconds[key] = (when - started.pop(key)).total_seconds()
    return seconds


@dataclass(frozen=True)
class TrainedModel:
    """A model of the cache: ``path`` of the ``.tar.gz``, full ``training_s`` wall time of
    ``rasa train`` (seconds, empty Rasa cache), whether this run ``reused`` it, and whether
    it is ``stale`` (trained on other data or config than today's)."""

    path: Path
    training_s: float
    reused: bool
    stale: bool = False


def trained_model(config: Path, label: str, cache: Path = MODEL_CACHE,
                  retrain: bool = False, allow_stale: bool = False) -> TrainedModel:
    """The model of ``config`` from ``cache``, trained first (``rasa train``, NLU + dialogue,
    on an empty Rasa cache so the time is that of a full training) when missing or
    ``retrain``; with ``allow_stale``, the newest ``<label>-*`` model of the cache rather
    than a training. Raises ``subprocess.CalledProcessError`` when training fails (log in
    ``cache/<label>-<hash>.log``)."""
    key = f"{label}-{training_hash(config)}"
    model, meta = cache / f"{key}.tar.gz", cache / f"{key}.json"
    if model.exists() and meta.exists() and not retrain:
        return TrainedModel(model, json.loads(meta.read_text())["training_s"], True)
    older = sorted((path for path in cache.glob(f"{label}-*.json")
                    if path.with_suffix("").with_suffix(".tar.gz").exists()),
                   key=lambda path: path.stat().st_mtime) if cache.is_dir() else []
    if allow_stale and older and not retrain:
        return TrainedModel(older[-1].with_suffix("").with_suffix(".tar.gz"),
                            json.loads(older[-1].read_text())["training_s"], True, stale=True)
    cache.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with (cache / f"{key}.log").open("w") as log, tempfile.TemporaryDirectory() as rasa_cache:
        # A copy: Rasa writes the auto-configured defaults into a config with null keys.
        copy = Path(rasa_cache) / "config.yml"
        copy.write_bytes(config.read_bytes())
        command = [sys.executable, "-m", "rasa", "train", "--config", str(copy),
                   "--domain", "domain.yml", "--data", "data", "--out", str(cache),
                   "--fixed-model-name", key, "--force"]
        subprocess.run(command, cwd=PROJECT_ROOT, check=True, stdout=log,
                       stderr=subprocess.STDOUT,
                       env={**os.environ, "RASA_TELEMETRY_ENABLED": "false",
                            "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_CACHE_DIRECTORY": rasa_cache})
    seconds = time.monotonic() - started
    breakdown = training_breakdown((cache / f"{key}.log").read_text(errors="replace"))
    meta.write_text(json.dumps({"training_s": seconds, "config": str(config.name),
                                "components_s": breakdown,
                                "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                            time.gmtime())}))
    return TrainedModel(model, seconds, False)


# ------------------------------------------------------------------------ pure helpers

def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100, linear interpolation like ``numpy.percentile``) of
    ``values``; ``nan`` when there are none."""
    import numpy

    return float(numpy.percentile(values, q)) if values else float("nan")


def latency_summary(latencies_s: list[float], errors: int, elapsed_s: float) -> dict[str, float]:
    """``{"n", "errors", "p50_ms", "p95_ms", "msg_per_s"}`` of successful turns that took
    ``latencies_s`` (seconds) during ``elapsed_s`` seconds of wall time."""
    return {
        "n": len(latencies_s),
        "errors": errors,
        "p50_ms": percentile(latencies_s, 50) * 1000,
        "p95_ms": percentile(latencies_s, 95) * 1000,
        "msg_per_s": len(latencies_s) / elapsed_s if elapsed_s > 0 else float("nan"),
    }


def ratio(ours: float | None, baseline: float | None) -> float | None:
    """``ours / baseline``, or ``None`` when either is missing, not a number, or zero."""
    if ours is None or baseline is None or ours != ours or baseline != baseline or not baseline:
        return None
    return ours / baseline


def _cell(value: float | str | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:,.{digits}f}" if abs(value) < 100 or digits == 0 else f"{value:,.0f}"


def render_table(rows: list[dict]) -> str:
    """The benchmark table as text: one line per row ``{"what", "unit", "ours", "baseline",
    "target"}`` (numbers or ``None``), with the ratio ours/baseline computed per row."""
    from tabulate import tabulate

    body = [[row["what"], row["unit"], _cell(row["ours"]), _cell(row["baseline"]),
             _cell(ratio(row["ours"], row["baseline"]), 2), row.get("target") or ""]
            for row in rows]
    return tabulate(body, headers=["", "unit", "sav-bot", "rasa init", "ratio", "target"],
                    tablefmt="github", disable_numparse=True)


class PeakRss:
    """Peak resident memory (RSS, bytes) of processes and their children, sampled every
    ``interval_s`` seconds by a background thread (psutil) between :meth:`start` and
    :meth:`stop`. :attr:`peaks` maps ``"<name>"`` (the process) and ``"<name>/<pid>"``
    (each child: Sanic workers) to the highest RSS seen."""

    def __init__(self, interval_s: float = 0.25) -> None:
        import threading

        self.interval_s = interval_s
        self.peaks: dict[str, int] = {}
        #: Same keys, proportional set size (shared pages split between the processes
        #: sharing them: the fair share of forked Sanic workers), when readable.
        self.pss_peaks: dict[str, int] = {}
        self._roots: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, name: str, pid: int) -> None:
        """Follow process ``pid`` (and its children) under ``name``."""
        with self._lock:
            self._roots[name] = pid

    def sample(self) -> None:
        """Take one sample of every watched process tree now."""
        import psutil

        with self._lock:
            roots = dict(self._roots)
        for name, pid in roots.items():
            try:
                root = psutil.Process(pid)
                tree = [(name, root)] + [(f"{name}/{child.pid}", child)
                                         for child in root.children(recursive=True)]
            except psutil.Error:
                continue
            for key, process in tree:
                try:
                    rss = process.memory_info().rss
                except psutil.Error:
                    continue
                self.peaks[key] = max(self.peaks.get(key, 0), rss)
                try:
                    pss = process.memory_full_info().pss
                except (psutil.Error, AttributeError):
                    continue
                self.pss_peaks[key] = max(self.pss_peaks.get(key, 0), pss)

    def _run(self) -> None:
        while not self._stopped.wait(self.interval_s):
            self.sample()

    def start(self) -> PeakRss:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)

    def peak_mb(self, name: str) -> float | None:
        """Highest RSS of one process of tree ``name`` (the root or a child), in MB."""
        values = [rss for key, rss in self.peaks.items()
                  if key == name or key.startswith(f"{name}/")]
        return max(values) / 2**20 if values else None

    def total_mb(self, prefix: str = "", pss: bool = False) -> float | None:
        """Sum of the peaks (RSS, or PSS with ``pss``) of the processes whose name starts
        with ``prefix``, in MB (an upper bound of the peak of their sum)."""
        peaks = self.pss_peaks if pss else self.peaks
        values = [value for key, value in peaks.items() if key.startswith(prefix)]
        return sum(values) / 2**20 if values else None


# ------------------------------------------------------------------------ the stack

START_TIMEOUT_S = 600
#: FAQ questions of the load (each answered with an ``utter_faq/<key>``).
#: Asked right after a lookup, it gets that order's status and whether it can be cancelled.
CANCEL_TEXT = "Est-ce que je peux annuler ma commande ?"
#: Asked right after the status of a refunded or cancelled order, it gets a person offered
#: (:data:`REFUND_OFFER`, components/follow_up_policy.py) rather than the FAQ answer.
REFUND_TEXT = "Combien de temps pour recevoir mon remboursement ?"
REFUND_OFFER = "Je n'ai pas le détail des remboursements"
FAQ_TEXTS = (
    "Combien de temps prend la livraison en France ?",
    "Comment faire un retour ?",
    # Customs (FAQ, Expédition 2). "Quels sont les frais de livraison ?" was here: no FAQ
    # answers the cost of shipping, and the bot now says so (product_question).
    "Y a-t-il des frais de douane pour la Suisse ?",
    CANCEL_TEXT,
    "Comment utiliser mon code promo ?",
    REFUND_TEXT,
)
#: Turns per conversation (a new conversation afterwards: the bot allows 5 lookups a minute).
TURNS_PER_CONVERSATION = 4


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One server process of the stack, in a process group of its own (stopped as a whole:
    Sanic workers included), its output in ``log``."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env,
                                        stdout=log.open("a"), stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def check(self) -> None:
        """Raise ``RuntimeError`` (with the end of the log) when the process has exited."""
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n"
                               f"{self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        """SIGTERM to the group, SIGKILL after 30 s."""
        import signal

        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass


def wait_for_reply(server: Server, url: str, timeout_s: float = START_TIMEOUT_S) -> float:
    """Seconds from ``server``'s start until a REST turn at ``url`` gets a reply (the model is
    loaded and the action server reachable). Raises ``RuntimeError`` on exit or timeout."""
    import requests

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        server.check()
        try:
            response = requests.post(url, json={"sender": f"warmup-{time.time_ns()}",
                                                "message": "bonjour"}, timeout=30)
            if response.ok and response.json():
                return time.monotonic() - server.started
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name}: no reply after {timeout_s} s; see {server.log}")


def wait_for_health(server: Server, url: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Wait until GET ``url`` answers 2xx. Raises ``RuntimeError`` on exit or timeout."""
    import requests

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        server.check()
        try:
            if requests.get(url, timeout=5).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name}: not up after {timeout_s} s; see {server.log}")


def base_env(**overrides: str) -> dict[str, str]:
    """The environment of every process the bench starts. A ``${VAR}`` of ``endpoints.yml``
    or ``credentials.yml`` missing from the environment (the Makefile exports them all; a
    bare ``python -m savbot.bench`` may not) is set empty, or Rasa would refuse to start."""
    import re

    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1", **overrides}
    for name in ("endpoints.yml", "credentials.yml"):
        path = PROJECT_ROOT / name
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        for variable in re.findall(r"\$\{(\w+)\}", text):
            env.setdefault(variable, "")
    return env


# ------------------------------------------------------------------------ databases

class TempDatabases:
    """Temporary databases of one run: SQLite files under ``folder`` or, when ``like`` is a
    PostgreSQL URL, databases created on that server (dropped by :meth:`drop`)."""

    def __init__(self, folder: Path, like: str) -> None:
        from sqlalchemy.engine.url import make_url

        self.folder, self.like = folder, make_url(like)
        self.created: list[str] = []

    @property
    def postgres(self) -> bool:
        return self.like.get_backend_name() == "postgresql"

    def _admin(self):
        from sqlalchemy import create_engine

        return create_engine(self.like, isolation_level="AUTOCOMMIT", future=True)

    def new(self, name: str) -> str:
        """URL of a new empty database called ``name`` (plus a run suffix on PostgreSQL)."""
        if not self.postgres:
            return f"sqlite:///{self.folder / f'{name}.db'}"
        from sqlalchemy import text

        database = f"bench_{name}_{os.getpid()}"
        engine = self._admin()
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        engine.dispose()
        self.created.append(database)
        return self.like.set(database=database).render_as_string(hide_password=False)

    def drop(self) -> None:
        """Drop the PostgreSQL databases created by :meth:`new` (SQLite files go with the
        folder)."""
        if not self.created:
            return
        from sqlalchemy import text

        engine = self._admin()
        with engine.connect() as connection:
            for database in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        engine.dispose()
        self.created.clear()


# ------------------------------------------------------------------------ load (aiohttp)

@dataclass
class Turns:
    """Latencies (seconds) of the successful turns and the count of failed ones (HTTP error,
    timeout, or a wrong reply: :func:`is_right_reply` with the ``faq`` answers)."""

    latencies: list[float]
    errors: int = 0
    faq: frozenset[str] = frozenset()


def lookup_text(order: tuple[str, str]) -> str:
    """A message that asks for the status of ``order`` = (number, e-mail) in one turn."""
    return f"Bonjour, je voudrais suivre ma commande {order[0]}, e-mail {order[1]}"


def _expected_reply(text: str) -> str | None:
    """What a right reply to ``text`` contains: ``n° <number>`` for a lookup, else None."""
    if text.startswith("Bonjour, je voudrais suivre ma commande "):
        return f"n° {text.split()[6].rstrip(',')}"
    return None


def faq_answers(root: Path = PROJECT_ROOT) -> frozenset[str]:
    """The texts of every ``utter_faq/<key>`` response (``data/**/*.yml``, ``domain.yml``)."""
    import yaml

    texts = set()
    for path in [root / "domain.yml", *(root / "data").rglob("*.yml")]:
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses")
        for name, variants in (responses or {}).items():
            if name.startswith("utter_faq/"):
                texts.update(v["text"] for v in variants if "text" in v)
    return frozenset(texts)


def is_right_reply(text: str, replies: list[dict], faq: frozenset[str]) -> bool:
    """Whether ``replies`` (REST messages) answer ``text``: a lookup names the order, an FAQ
    question (:data:`FAQ_TEXTS`) gets one of the ``faq`` answers; the cancellation question
    may get the status of the order just looked up instead (``n° <number>``: whether it can
    still be cancelled, components/follow_up_policy.py), the refund question a person
    offered (:data:`REFUND_OFFER`); other texts: any reply."""
    expected = _expected_reply(text)
    if expected:
        return any(expected in m.get("text", "") for m in replies)
    if text in FAQ_TEXTS:
        return any(m.get("text") in faq or (text == CANCEL_TEXT and "n° " in m.get("text", ""))
                   or (text == REFUND_TEXT and REFUND_OFFER in m.get("text", ""))
                   for m in replies)
    return bool(replies)


async def _turn(session, urls: list[str], sender: str, text: str, turns: Turns) -> None:
    """One REST turn, sent to one of ``urls`` by conversation; recorded in ``turns``."""
    import zlib

    import aiohttp

    # Sticky routing, as a load balancer does: one conversation, one server.
    url = urls[zlib.crc32(sender.encode()) % len(urls)]
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": text},
                                timeout=aiohttp.ClientTimeout(total=60)) as response:
            body = await response.json(content_type=None)
        if response.status == 200 and isinstance(body, list) and is_right_reply(
                text, body, turns.faq):
            turns.latencies.append(time.perf_counter() - started)
        else:
            turns.errors += 1
    except (aiohttp.ClientError, TimeoutError, ValueError):
        turns.errors += 1


async def _sequential(urls: list[str], texts: list[str], prefix: str) -> Turns:
    import aiohttp

    turns = Turns([], faq=faq_answers())
    async with aiohttp.ClientSession() as session:
        for i, text in enumerate(texts):
            await _turn(session, urls, f"{prefix}-{i // TURNS_PER_CONVERSATION}", text, turns)
    return turns


def single_conversation(urls: list[str], texts: list[str], prefix: str) -> Turns:
    """Send ``texts`` one after the other (a new conversation every
    :data:`TURNS_PER_CONVERSATION` turns); the latency of each."""
    import asyncio

    return asyncio.run(_sequential(urls, texts, prefix))


async def _concurrent(urls: list[str], users: int, duration_s: float, prefix: str,
                      orders: list[tuple[str, str]]) -> tuple[Turns, float]:
    import aiohttp

    turns = Turns([], faq=faq_answers())
    deadline = time.perf_counter() + duration_s

    async def user(k: int) -> None:
        conversation = 0
        while time.perf_counter() < deadline:
            sender = f"{prefix}-{k}-{conversation}"
            script = [FAQ_TEXTS[(k + conversation) % len(FAQ_TEXTS)],
                      lookup_text(orders[(k * 31 + conversation) % len(orders)]),
                      FAQ_TEXTS[(k + conversation + 1) % len(FAQ_TEXTS)],
                      FAQ_TEXTS[(k + conversation + 2) % len(FAQ_TEXTS)]]
            for text in script:
                if time.perf_counter() >= deadline:
                    break
                await _turn(session, urls, sender, text, turns)
            conversation += 1

    import asyncio

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(user(k) for k in range(users)))
        elapsed = time.perf_counter() - started
    return turns, elapsed


def concurrent_conversations(urls: list[str], users: int, duration_s: float, prefix: str,
                             orders: list[tuple[str, str]]) -> dict[str, float]:
    """``users`` customers talking at once for ``duration_s`` seconds (conversations of
    FAQ, lookup, FAQ, FAQ; each sends its next message when the bot has answered):
    :func:`latency_summary` of every turn."""
    import asyncio

    turns, elapsed = asyncio.run(_concurrent(urls, users, duration_s, prefix, orders))
    return latency_summary(turns.latencies, turns.errors, elapsed)


# ------------------------------------------------------------------------ one setup

@dataclass(frozen=True)
class Setup:
    """What is measured: ``label``, its model, how many Rasa ``servers`` (sticky routing by
    conversation) and Sanic ``workers`` per server (more than one needs the Redis lock store)."""

    label: str
    model: TrainedModel
    servers: int = 1
    workers: int = 1
    #: module run by ``python -m``: ``savbot.serve`` (Rasa with sav-bot's runtime fixes)
    #: or ``rasa`` (as is).
    launcher: str = "rasa"


@dataclass(frozen=True)
class Load:
    """How much traffic: turns of the single conversations, seconds of each concurrent load."""

    single_turns: int
    concurrent_s: float
    warmup_turns: int = 10


def endpoints_file(folder: Path) -> Path:
    """``endpoints.yml``, or a copy in ``folder`` with ``password: ${REDIS_PASSWORD}`` added
    to the lock store when the environment has a Redis password the file does not pass."""
    import yaml

    endpoints = PROJECT_ROOT / "endpoints.yml"
    config = yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}
    lock_store = config.get("lock_store") or {}
    if not os.environ.get("REDIS_PASSWORD") or "password" in lock_store:
        return endpoints
    config["lock_store"] = {**lock_store, "password": "${REDIS_PASSWORD}"}
    copy = folder / "endpoints.yml"
    copy.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return copy


def run_setup(setup: Setup, load: Load, folder: Path, databases: TempDatabases,
              orders_url: str, orders: list[tuple[str, str]]) -> dict[str, float | None]:
    """Start ``setup``'s stack on a fresh conversation store, measure it, stop it.

    Returns the metrics (keys as in :func:`rows`). Raises ``RuntimeError`` when a server
    does not start."""
    actions_port = free_port()
    env = base_env(
        DATABASE_URL=orders_url,
        TRACKER_STORE_URL=databases.new(f"conversations_{setup.label}"),
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{actions_port}/webhook",
        # Several workers share conversations through the environment's Redis lock store
        # (scripts/services.sh: components.lock_store.AtomicRedisLockStore).
        LOCK_STORE_TYPE=os.environ.get("LOCK_STORE_TYPE", "redis") if setup.workers > 1
        else "in_memory",
        SANIC_WORKERS=str(setup.workers),
    )
    rss = PeakRss().start()
    servers: list[Server] = []
    metrics: dict[str, float | None] = {}
    try:
        actions = Server("actions", [sys.executable, "-m", "rasa", "run", "actions",
                                     "--actions", "actions", "--port", str(actions_port)],
                         env, folder / f"{setup.label}-actions.log")
        servers.append(actions)
        rss.watch("actions", actions.process.pid)
        wait_for_health(actions, f"http://127.0.0.1:{actions_port}/health")
        urls = []
        for i in range(setup.servers):
            port = free_port()
            server = Server(f"rasa{i}", [sys.executable, "-m", setup.launcher, "run", "--model",
                                         str(setup.model.path), "--endpoints",
                                         str(endpoints_file(folder)),
                                         "--credentials", "credentials.yml",
                                         "--port", str(port)],
                            env, folder / f"{setup.label}-rasa{i}.log")
            servers.append(server)
            rss.watch(f"rasa{i}", server.process.pid)
            url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
            seconds = wait_for_reply(server, url)
            if i == 0:
                metrics["cold_start_s"] = seconds
                print(f"  {setup.label}: Rasa server answers {seconds:.1f} s after its start",
                      flush=True)
            urls.append(url)
        run = f"{setup.label}-{os.getpid()}"
        warm = single_conversation(
            urls, [FAQ_TEXTS[i % len(FAQ_TEXTS)] if i % 2 else lookup_text(orders[i])
                   for i in range(load.warmup_turns)], f"{run}-warmup")
        if warm.errors:
            print(f"  {setup.label}: {warm.errors} warm-up turn(s) failed", flush=True)
        faq = single_conversation(urls, [FAQ_TEXTS[i % len(FAQ_TEXTS)]
                                         for i in range(load.single_turns)], f"{run}-faq")
        lookup = single_conversation(urls, [lookup_text(orders[(i * 7) % len(orders)])
                                            for i in range(load.single_turns)], f"{run}-lookup")
        for name, turns in (("faq", faq), ("lookup", lookup)):
            summary = latency_summary(turns.latencies, turns.errors, 1.0)
            metrics.update({f"{name}_p50_ms": summary["p50_ms"],
                            f"{name}_p95_ms": summary["p95_ms"],
                            f"{name}_errors": float(turns.errors)})
        print(f"  {setup.label}: FAQ p50 {metrics['faq_p50_ms']:.0f} ms, lookup p50 "
              f"{metrics['lookup_p50_ms']:.0f} ms", flush=True)
        for users in (10, 50):
            summary = concurrent_conversations(urls, users, load.concurrent_s,
                                               f"{run}-c{users}", orders)
            metrics.update({f"c{users}_{key}": float(value) for key, value in summary.items()
                            if key != "n"})
            print(f"  {setup.label}: {users} conversations: {summary['msg_per_s']:.1f} msg/s, "
                  f"p95 {summary['p95_ms']:.0f} ms, {summary['errors']} errors", flush=True)
        rss.sample()
    finally:
        for server in reversed(servers):
            server.stop()
        rss.stop()
    rasa_peaks = [rss.peak_mb(f"rasa{i}") for i in range(setup.servers)]
    metrics["rasa_rss_mb"] = max((p for p in rasa_peaks if p is not None), default=None)
    metrics["actions_rss_mb"] = rss.peak_mb("actions")
    metrics["total_rss_mb"] = rss.total_mb()
    metrics["total_pss_mb"] = rss.total_mb(pss=True)
    metrics["training_s"] = setup.model.training_s
    return metrics


# ------------------------------------------------------------------------ the table

def rows(ours: dict[str, float | None], baseline: dict[str, float | None],
         order_count: int) -> list[dict]:
    """The rows of the table from the metrics of both setups (missing metrics: ``None``)."""
    n = f"{order_count:,}".replace(",", " ")
    spec = [
        ("FAQ turn, one conversation, p50", "ms", "faq_p50_ms", "<= 20"),
        ("FAQ turn, one conversation, p95", "ms", "faq_p95_ms", "<= 30"),
        (f"order-lookup turn ({n} orders), p50", "ms", "lookup_p50_ms", ""),
        (f"order-lookup turn ({n} orders), p95", "ms", "lookup_p95_ms", "<= 1.5x FAQ p95"),
        ("10 conversations: throughput", "msg/s", "c10_msg_per_s", ">= 4x baseline"),
        ("10 conversations: p50", "ms", "c10_p50_ms", ""),
        ("10 conversations: p95", "ms", "c10_p95_ms", "<= 250"),
        ("10 conversations: errors", "turns", "c10_errors", "0"),
        ("50 conversations: throughput", "msg/s", "c50_msg_per_s", ""),
        ("50 conversations: p50", "ms", "c50_p50_ms", ""),
        ("50 conversations: p95", "ms", "c50_p95_ms", ""),
        ("50 conversations: errors", "turns", "c50_errors", "0"),
        ("cold start until the first reply", "s", "cold_start_s", "<= 10"),
        ("Rasa server peak RSS (per process)", "MB", "rasa_rss_mb", "<= 500"),
        ("action server peak RSS", "MB", "actions_rss_mb", ""),
        ("all processes, sum of peak RSS", "MB", "total_rss_mb", ""),
        ("all processes, sum of peak PSS (shared pages split)", "MB", "total_pss_mb", ""),
        ("full training (rasa train, empty cache)", "s", "training_s", "<= 45"),
        (f"lookup in the database alone ({n} orders), p95", "ms", "db_lookup_p95_ms", ""),
        (f"seed {n} orders (savbot orders seed)", "s", "seed_s", "well under 60"),
    ]
    return [{"what": what, "unit": unit, "key": key, "ours": ours.get(key),
             "baseline": baseline.get(key), "target": target}
            for what, unit, key, target in spec]


def db_lookup_p95_ms(orders_url: str, orders: list[tuple[str, str]]) -> float:
    """p95 (ms) of :meth:`OrderRepository.find_verified` alone over ``orders``."""
    from actions.db import session_factory
    from actions.order_repository import OrderRepository

    repository = OrderRepository(session_factory(orders_url, 3.0))
    latencies = []
    for number, email in orders:
        started = time.perf_counter()
        if repository.find_verified(number, email) is None:
            raise RuntimeError(f"seeded order {number} not found")
        latencies.append(time.perf_counter() - started)
    return percentile(latencies, 95) * 1000


def sample_orders(count: int, size: int) -> list[tuple[str, str]]:
    """``size`` (number, e-mail) pairs spread over the ``count`` orders
    ``savbot orders seed`` writes (default seed)."""
    from savbot.seed import demo_orders

    step = max(1, count // size)
    return [(row["order_number"], row["email"])
            for i, row in enumerate(demo_orders(count)) if i % step == 0][:size]


def redis_reachable() -> bool:
    """Whether the environment selects a Redis lock store (``redis`` or a class of ours) and
    Redis answers a PING."""
    if os.environ.get("LOCK_STORE_TYPE", "in_memory") == "in_memory":
        return False
    import redis

    try:
        return bool(redis.Redis(host=os.environ.get("REDIS_HOST", "localhost"),
                                port=int(os.environ.get("REDIS_PORT", "6379")),
                                password=os.environ.get("REDIS_PASSWORD") or None,
                                socket_timeout=3).ping())
    except redis.RedisError:
        return False


def _training_components(model: TrainedModel) -> dict[str, float]:
    meta = model.path.with_suffix("").with_suffix(".json")
    known = json.loads(meta.read_text()).get("components_s") if meta.exists() else None
    log = model.path.with_suffix("").with_suffix(".log")
    if known is None and log.exists():
        known = training_breakdown(log.read_text(errors="replace"))
    return known or {}


def conditions(quick: bool, setups: list[Setup], database: str) -> dict:
    """When and where the run happened (the numbers depend on it)."""
    import platform

    import rasa

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit, "rasa": rasa.__version__, "python": platform.python_version(),
        "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg(),
        "quick": quick, "database": database,
        "setups": {s.label: {"servers": s.servers, "sanic_workers": s.workers,
                             "launcher": s.launcher,
                             "model": s.model.path.name, "model_reused": s.model.reused,
                             "model_stale": s.model.stale,
                             "training_components_s": _training_components(s.model)}
                   for s in setups},
    }


# ------------------------------------------------------------------------ profile

def import_seconds(module: str) -> float:
    """Wall time of ``import module`` in a fresh interpreter, in seconds."""
    code = (f"import time; t = time.perf_counter(); import {module}; "
            "print(time.perf_counter() - t)")
    result = subprocess.run([sys.executable, "-c", code], env=base_env(), check=True,
                            capture_output=True, text=True, cwd=PROJECT_ROOT)
    return float(result.stdout.strip().splitlines()[-1])


def profile_faq_turns(model: Path, turns: int, folder: Path, action_url: str | None = None,
                      orders: list[tuple[str, str]] | None = None,
                      runtime_fixes: bool = False) -> dict:
    """Where the time and memory of an FAQ turn go, in this process: the Rasa agent of
    ``model`` on a SQLite tracker store in ``folder`` answers ``turns`` FAQ messages
    (conversations of :data:`TURNS_PER_CONVERSATION` turns) through ``Agent.handle_message``.

    ``runtime_fixes``: with :func:`savbot.serve.apply_runtime_fixes`, as sav-bot runs.
    With ``action_url`` (a running action server) and ``orders`` (number, e-mail), also
    ``turns`` lookup turns: ``lookup_turn_ms`` and ``lookup_action_server_ms``, the time in
    calls to the action server (form validation and lookup action) per turn.

    Returns ``{"turn_ms", "components_ms": {graph node: ms per turn}, "tracker_store_ms":
    {"retrieve", "save"}, "rss_mb": {"imports", "model"}, "import_s": {...},
    "top_functions": [...]}`` (times are means per turn, wall clock)."""
    import asyncio
    import cProfile
    import pstats

    import psutil

    process = psutil.Process()
    if runtime_fixes:
        from savbot.serve import apply_runtime_fixes

        apply_runtime_fixes()
    import_s = {name: import_seconds(name)
                for name in ("tensorflow", "sklearn", "rasa.core.agent", "rasa.__main__")}
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.engine.graph import GraphNode

    rss_imports = process.memory_info().rss / 2**20
    store = SQLTrackerStore(dialect="sqlite", db=str(folder / "profile-conversations.db"))
    from rasa.utils.endpoints import EndpointConfig

    load_s: dict[str, float] = {}
    original_init = GraphNode.__init__

    def timed_init(node, node_name, *args, **kwargs):
        started = time.perf_counter()
        try:
            original_init(node, node_name, *args, **kwargs)
        finally:
            load_s[node_name] = load_s.get(node_name, 0.0) + time.perf_counter() - started

    GraphNode.__init__ = timed_init
    started = time.perf_counter()
    agent = Agent.load(str(model), tracker_store=store,
                       action_endpoint=EndpointConfig(action_url) if action_url else None)
    model_load_s = time.perf_counter() - started
    GraphNode.__init__ = original_init
    rss_model = process.memory_info().rss / 2**20

    components: dict[str, float] = {}
    original_call = GraphNode.__call__

    def timed_call(node, *args):
        started = time.perf_counter()
        try:
            return original_call(node, *args)
        finally:
            name = node._node_name
            components[name] = components.get(name, 0.0) + time.perf_counter() - started

    store_s = {"retrieve": 0.0, "save": 0.0}
    original_retrieve, original_save = store.retrieve, store.save

    async def timed_retrieve(*args, **kwargs):
        started = time.perf_counter()
        try:
            return await original_retrieve(*args, **kwargs)
        finally:
            store_s["retrieve"] += time.perf_counter() - started

    async def timed_save(*args, **kwargs):
        started = time.perf_counter()
        try:
            return await original_save(*args, **kwargs)
        finally:
            store_s["save"] += time.perf_counter() - started

    async def run(n: int, prefix: str) -> float:
        started = time.perf_counter()
        for i in range(n):
            await agent.handle_message(UserMessage(
                FAQ_TEXTS[i % len(FAQ_TEXTS)], CollectingOutputChannel(),
                f"{prefix}-{i // TURNS_PER_CONVERSATION}"))
        return time.perf_counter() - started

    asyncio.run(run(10, "warmup"))
    GraphNode.__call__ = timed_call
    store.retrieve, store.save = timed_retrieve, timed_save
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        elapsed = asyncio.run(run(turns, "profile"))
        profiler.disable()
    finally:
        GraphNode.__call__ = original_call
        store.retrieve, store.save = original_retrieve, original_save
    lookup: dict[str, float] = {}
    if action_url and orders:
        from rasa.core.actions.action import RemoteAction

        remote_s = [0.0]
        original_run = RemoteAction.run

        async def timed_run(action, *args, **kwargs):
            started = time.perf_counter()
            try:
                return await original_run(action, *args, **kwargs)
            finally:
                remote_s[0] += time.perf_counter() - started

        async def lookups(n: int, prefix: str) -> float:
            started = time.perf_counter()
            for i in range(n):
                await agent.handle_message(UserMessage(
                    lookup_text(orders[i % len(orders)]), CollectingOutputChannel(),
                    f"{prefix}-{i // TURNS_PER_CONVERSATION}"))
            return time.perf_counter() - started

        asyncio.run(lookups(4, "lookup-warmup"))
        RemoteAction.run = timed_run
        try:
            elapsed_lookups = asyncio.run(lookups(turns, "lookup"))
        finally:
            RemoteAction.run = original_run
        lookup = {"lookup_turn_ms": elapsed_lookups / turns * 1000,
                  "lookup_action_server_ms": remote_s[0] / turns * 1000}
    stats = pstats.Stats(profiler)
    top = sorted(((value[3], f"{func[0].split('site-packages/')[-1]}:{func[1]}({func[2]})")
                  for func, value in stats.stats.items()), reverse=True)
    return {
        "turns": turns,
        "turn_ms": elapsed / turns * 1000,
        "components_ms": {name: seconds / turns * 1000 for name, seconds in
                          sorted(components.items(), key=lambda item: -item[1])},
        "tracker_store_ms": {key: value / turns * 1000 for key, value in store_s.items()},
        "rss_mb": {"after_imports": rss_imports, "after_model_load": rss_model},
        "model_load_s": model_load_s,
        "model_load_components_s": {name: seconds for name, seconds in
                                    sorted(load_s.items(), key=lambda item: -item[1])
                                    if seconds >= 0.05},
        "import_s": import_s,
        "top_functions_cumulative_ms": [(name, seconds / turns * 1000)
                                        for seconds, name in top[:25]],
        **lookup,
    }


def print_profile(label: str, profile: dict) -> None:
    """Print :func:`profile_faq_turns`' result."""
    print(f"\n{label}: FAQ turn in process, {profile['turn_ms']:.1f} ms per turn "
          f"(cProfile on: slower than without)")
    print("  graph components (ms per turn):")
    for name, ms in profile["components_ms"].items():
        if ms >= 0.05:
            print(f"    {ms:7.2f}  {name}")
    store = profile["tracker_store_ms"]
    print(f"  tracker store: retrieve {store['retrieve']:.2f} ms, save {store['save']:.2f} ms")
    rss = profile["rss_mb"]
    print(f"  RSS: {rss['after_imports']:.0f} MB after imports, {rss['after_model_load']:.0f} MB "
          "with the model")
    print(f"  model load (Agent.load): {profile['model_load_s']:.1f} s; components: " + ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in profile["model_load_components_s"].items()))
    print("  import times (fresh interpreter): " + ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in profile["import_s"].items()))
    if "lookup_turn_ms" in profile:
        print(f"  lookup turn (no profiler): {profile['lookup_turn_ms']:.1f} ms, of which "
              f"{profile['lookup_action_server_ms']:.1f} ms waiting for the action server")
    print("  top functions (cumulative ms per turn):")
    for name, ms in profile["top_functions_cumulative_ms"]:
        print(f"    {ms:7.2f}  {name}")


# ------------------------------------------------------------------------ main

def _main(quick: bool, retrain: bool, skip_baseline: bool, order_count: int | None,
          out: Path, stale_baseline: bool = False) -> None:
    import click

    order_count = order_count or (20_000 if quick else 1_000_000)
    load = Load(single_turns=30, concurrent_s=8.0) if quick else \
        Load(single_turns=200, concurrent_s=30.0)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; the machine "
          "should be quiet for meaningful numbers", flush=True)
    print("models (cached in reports/bench/models; the baseline trains for 10-30 min once)...",
          flush=True)
    ours_model = trained_model(OURS_CONFIG, "ours", retrain=retrain)
    cpus = os.cpu_count() or 1
    if redis_reachable():
        ours = Setup("ours", ours_model, servers=1, workers=cpus, launcher="savbot.serve")
    else:
        print("  Redis not reachable (scripts/services.sh): several Rasa servers with sticky "
              "routing instead of several Sanic workers", flush=True)
        ours = Setup("ours", ours_model, servers=cpus, launcher="savbot.serve")
    setups = [ours]
    if not skip_baseline:
        setups.append(Setup("baseline", trained_model(BASELINE_CONFIG, "baseline",
                                                      allow_stale=stale_baseline)))
    for setup in setups:
        print(f"  {setup.label}: {setup.model.path.name}, training "
              f"{setup.model.training_s:.0f} s{' (cached)' if setup.model.reused else ''}"
              f"{' STALE: trained on older data/config' if setup.model.stale else ''}",
              flush=True)
        components = _training_components(setup.model)
        if components:
            print("    " + ", ".join(f"{name} {seconds:.0f} s"
                                     for name, seconds in components.items()), flush=True)

    like = os.environ.get("DATABASE_URL", "sqlite://")
    with tempfile.TemporaryDirectory(prefix="savbot-bench-") as tmp:
        folder = Path(tmp)
        databases = TempDatabases(folder, like)
        try:
            orders_url = databases.new("orders")
            engine = "PostgreSQL" if databases.postgres else "SQLite"
            print(f"seeding {order_count} orders ({engine})...", flush=True)
            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "savbot.cli", "orders", "seed", "--count",
                            str(order_count)], cwd=PROJECT_ROOT, check=True,
                           env=base_env(DATABASE_URL=orders_url), stdout=subprocess.DEVNULL)
            seed_s = time.monotonic() - started
            orders = sample_orders(order_count, 500)
            shared = {"seed_s": seed_s, "db_lookup_p95_ms": db_lookup_p95_ms(orders_url, orders)}
            results = {}
            for setup in setups:
                print(f"{setup.label}: {setup.servers} server(s) x {setup.workers} worker(s)...",
                      flush=True)
                results[setup.label] = run_setup(setup, load, folder, databases, orders_url,
                                                 orders)
        finally:
            databases.drop()
    results["ours"].update(shared)
    table = rows(results["ours"], results.get("baseline", {}), order_count)
    report = {"conditions": conditions(quick, setups, "postgresql" if databases.postgres
                                       else "sqlite"),
              "rows": [{**row, "ratio": ratio(row["ours"], row["baseline"])} for row in table],
              "metrics": results}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    click.echo("")
    click.echo(render_table(table))
    click.echo(f"\n{report['conditions']['date']}, {'quick' if quick else 'full'} run, "
               f"{report['conditions']['database']}; written to {out}")


def _profile(turns: int, retrain: bool, skip_baseline: bool, out: Path,
             stale_baseline: bool) -> None:
    models = {"ours": trained_model(OURS_CONFIG, "ours", retrain=retrain)}
    if not skip_baseline:
        models["baseline"] = trained_model(BASELINE_CONFIG, "baseline",
                                           allow_stale=stale_baseline)
    results = {}
    with tempfile.TemporaryDirectory(prefix="savbot-profile-") as tmp:
        folder = Path(tmp)
        orders_url = f"sqlite:///{folder / 'orders.db'}"
        subprocess.run([sys.executable, "-m", "savbot.cli", "orders", "seed", "--count",
                        "20000"], cwd=PROJECT_ROOT, check=True,
                       env=base_env(DATABASE_URL=orders_url), stdout=subprocess.DEVNULL)
        orders = sample_orders(20_000, 200)
        port = free_port()
        actions = Server("actions", [sys.executable, "-m", "rasa", "run", "actions",
                                     "--actions", "actions", "--port", str(port)],
                         base_env(DATABASE_URL=orders_url), folder / "actions.log")
        try:
            wait_for_health(actions, f"http://127.0.0.1:{port}/health")
            for label, model in models.items():
                # One interpreter per model: the baseline's imports must not count in ours.
                code = ("import json, sys; from pathlib import Path; from savbot import bench; "
                        "print(json.dumps(bench.profile_faq_turns(Path(sys.argv[1]), "
                        "int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], "
                        "json.loads(sys.argv[5]), sys.argv[6] == 'ours')))")
                result = subprocess.run(
                    [sys.executable, "-c", code, str(model.path), str(turns), tmp,
                     f"http://127.0.0.1:{port}/webhook", json.dumps(orders), label],
                    env=base_env(), cwd=PROJECT_ROOT, check=True, capture_output=True,
                    text=True)
                results[label] = json.loads(result.stdout.strip().splitlines()[-1])
                print_profile(label, results[label])
        finally:
            actions.stop()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nwritten to {out}")


def cli():
    """Entry point of ``python -m savbot.bench`` (click options)."""
    import click

    @click.command()
    @click.option("--quick", is_flag=True, help="Smoke run: fewer turns, 20,000 orders.")
    @click.option("--retrain", is_flag=True, help="Retrain sav-bot's model (not the baseline).")
    @click.option("--skip-baseline", is_flag=True, help="Only measure sav-bot.")
    @click.option("--stale-baseline", is_flag=True,
                  help="Use the newest cached baseline model even if the data changed since "
                       "(instead of 10-30 min of training); the report says so.")
    @click.option("--orders", "order_count", type=click.IntRange(100, 10_000_000),
                  help="Orders in the database (default 1,000,000; 20,000 with --quick).")
    @click.option("--profile", "profile_turns", type=int, default=0, metavar="TURNS",
                  help="Instead of the load: profile TURNS FAQ turns in process per setup "
                       "(per component, tracker store, imports, memory).")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                  default=REPORTS / "bench.json", show_default=True, help="JSON report.")
    def command(quick: bool, retrain: bool, skip_baseline: bool, stale_baseline: bool,
                order_count: int | None, profile_turns: int, out: Path) -> None:
        """Benchmark sav-bot against the `rasa init` configuration (one table)."""
        if profile_turns:
            _profile(profile_turns, retrain, skip_baseline, out.with_name("bench-profile.json"),
                     stale_baseline)
        else:
            _main(quick, retrain, skip_baseline, order_count, out, stale_baseline)

    command()


if __name__ == "__main__":  # pragma: no cover
    cli()
