"""Prometheus metrics (GET /metrics): one registry per app, built by the app factory.

Counters and histograms are what this replica saw (messages, NLU and dispatch latency, the job
runs it made). Queue sizes are read from the database at scrape time (`StateCollector`), so every
replica reports the same outbox and escalation figures, whichever one is scraped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, Info, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.models import Escalation, EscalationStatus, OutboxItem, OutboxStatus, Priority

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds; NLU answers in tens of milliseconds, a timeout takes nlu.request_timeout_s.
LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """What the features report to (Dispatcher, JobScheduler), and the registry /metrics renders."""

    def __init__(self, replica: str = "") -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        # Which process answered this scrape (its name in job_runs and leases).
        Info("teman_replica", "This bot process.", registry=self.registry).info({"replica": replica})
        self.messages_received = Counter(
            "teman_messages_received", "Messages that reached dispatch, per channel.", ["channel"],
            registry=self.registry,
        )
        self.nlu_latency = Histogram(
            "teman_nlu_latency_seconds", "Time to understand a typed message; source: rasa or degraded.",
            ["source"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.dispatch_latency = Histogram(
            "teman_dispatch_latency_seconds",
            "From a message reaching dispatch to its replies stored in the outbox, per channel.",
            ["channel"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.job_runs = Counter(
            "teman_job_runs", "Runs of a periodic job made by this replica (one per period across replicas).",
            ["job"], registry=self.registry,
        )
        self.job_failures = Counter(
            "teman_job_failures", "Runs of a periodic job on this replica that raised.", ["job"],
            registry=self.registry,
        )

    # DispatchObserver (bot.chat.dispatch)
    def received(self, channel: str) -> None:
        self.messages_received.labels(channel).inc()

    def understood(self, source: str, seconds: float) -> None:
        self.nlu_latency.labels(source).observe(seconds)

    def dispatched(self, channel: str, seconds: float) -> None:
        self.dispatch_latency.labels(channel).observe(seconds)

    # RunObserver (bot.jobs.scheduler)
    def job_ran(self, job: str, ok: bool) -> None:
        self.job_runs.labels(job).inc()
        if not ok:
            self.job_failures.labels(job).inc()

    def watch(self, collector: Collector) -> None:
        self.registry.register(collector)

    def render(self) -> bytes:
        """The text exposition; blocking (the state collector reads the database)."""
        return generate_latest(self.registry)


class StateCollector(Collector):
    """Outbox, escalation queue, SLA and NLU state, read when Prometheus scrapes."""

    def __init__(self, sessions: sessionmaker[Session], nlu_status: Callable[[], str]) -> None:
        self.sessions = sessions
        self.nlu_status = nlu_status

    def describe(self) -> list[Metric]:
        return []  # collected fresh on every scrape; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        degraded = GaugeMetricFamily("teman_nlu_degraded", "1 while Rasa does not answer and the bot runs on its rules.")
        degraded.add_metric([], 1.0 if self.nlu_status() == "degraded" else 0.0)
        yield degraded
        try:
            outbox, waiting, breaches = self._read()
        except Exception as exc:  # the scrape still shows NLU state and the counters
            log.warning("metrics.database_unreadable error=%s", exc)
            return
        rows = GaugeMetricFamily(
            "teman_outbox_messages",
            "Outbox rows per channel and status: pending (to send), held (WhatsApp window), dead, sent.",
            labels=["channel", "status"],
        )
        for (channel, status), count in sorted(outbox.items()):
            rows.add_metric([channel, status], count)
        yield rows
        queue = GaugeMetricFamily(
            "teman_escalations_waiting", "Escalations not yet claimed by staff, per priority.", labels=["priority"]
        )
        for priority in Priority:
            queue.add_metric([priority.value], waiting.get(priority.value, 0))
        yield queue
        sla = GaugeMetricFamily(
            "teman_sla_breaches",
            "Open escalations past an SLA: unclaimed (team re-alerted), supervisor (supervisors alerted), "
            "reply (claimed, no staff reply in time).",
            labels=["kind"],
        )
        for kind in ("unclaimed", "supervisor", "reply"):
            sla.add_metric([kind], breaches.get(kind, 0))
        yield sla

    def _read(self) -> tuple[dict[tuple[str, str], int], dict[str, int], dict[str, int]]:
        with self.sessions() as session:
            outbox = {
                (str(channel), str(getattr(status, "value", status))): int(count)
                for channel, status, count in session.execute(
                    select(OutboxItem.channel, OutboxItem.status, func.count()).group_by(
                        OutboxItem.channel, OutboxItem.status
                    )
                )
            }
            for channel in {channel for channel, _ in outbox}:
                for status in OutboxStatus:
                    outbox.setdefault((channel, status.value), 0)
            waiting = {
                str(getattr(priority, "value", priority)): int(count)
                for priority, count in session.execute(
                    select(Escalation.priority, func.count())
                    .where(Escalation.status == EscalationStatus.OPEN)
                    .group_by(Escalation.priority)
                )
            }
            active = Escalation.status != EscalationStatus.CLOSED
            breaches = {
                "unclaimed": _count(session, active, Escalation.alert_level >= 1),
                "supervisor": _count(session, active, Escalation.alert_level >= 2),
                "reply": _count(session, active, Escalation.reply_overdue.is_(True)),
            }
        return outbox, waiting, breaches


def _count(session: Session, *where: object) -> int:
    return int(session.scalar(select(func.count()).select_from(Escalation).where(*where)) or 0)  # type: ignore[arg-type]
