"""When the human support team is at work: working days, opening hours, public holidays.

Configuration (see :class:`actions.config.Settings`): ``SUPPORT_DAYS`` (default ``mon-fri``),
``SUPPORT_HOURS`` (default ``09:00-18:00``), ``SUPPORT_TIMEZONE`` (default ``Europe/Paris``)
and ``SUPPORT_HOLIDAYS`` (default ``FR``: French public holidays, from the ``holidays``
package, are days off; ``none`` for no holidays).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from babel.dates import format_date

from actions.config import Settings

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
#: How far ahead :meth:`SupportHours.next_opening` looks before giving up (a year).
MAX_LOOKAHEAD_DAYS = 366


def parse_days(text: str) -> frozenset[int]:
    """``"mon-fri"`` -> ``{0, 1, 2, 3, 4}`` (Monday is 0); also lists: ``"mon,wed,sat"``.

    Raises ``ValueError`` for an unknown day name or an empty set.
    """
    days: set[int] = set()
    for part in (text or "").lower().replace(" ", "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError(f"not a day or range of days like mon-fri: {part!r}")
        start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        day = start
        while True:
            days.add(day)
            if day == end:
                break
            day = (day + 1) % 7
    if not days:
        raise ValueError("no support day configured")
    return frozenset(days)


def parse_hours(text: str) -> tuple[time, time | None]:
    """``"09:00-18:00"`` -> (09:00, 18:00); an end of ``24:00`` gives ``None`` (midnight).

    Raises ``ValueError`` for another format or an end not after the start.
    """
    match = _HOURS.match(text or "")
    if not match:
        raise ValueError(f"not opening hours like 09:00-18:00: {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"not opening hours like 09:00-18:00: {text!r}")
    start = time(h1, m1)
    end = None if h2 == 24 else time(h2, m2)
    if end is not None and end <= start:
        raise ValueError(f"the support closes before it opens: {text!r}")
    return start, end


@dataclass(frozen=True)
class SupportHours:
    """Opening hours of the support team.

    Attributes:
        days: working weekdays (Monday 0 ... Sunday 6).
        opens, closes: opening hours on a working day, local time; ``closes`` ``None``
            means midnight (open until the end of the day).
        tz: the team's time zone.
        holiday_country: ISO code of the country whose public holidays are days off, or
            ``None``.
    """

    days: frozenset[int] = frozenset(range(5))
    opens: time = time(9, 0)
    closes: time | None = time(18, 0)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Paris"))
    holiday_country: str | None = "FR"

    @classmethod
    def from_settings(cls, settings: Settings) -> SupportHours:
        """Support hours from the environment's settings. Raises ``ValueError`` when bad."""
        opens, closes = parse_hours(settings.support_hours)
        try:
            tz = ZoneInfo(settings.support_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone: {settings.support_timezone!r}") from exc
        country = settings.support_holidays.strip().upper()
        if country in ("", "NONE"):
            country_code = None
        else:
            if country not in holidays.list_supported_countries():
                raise ValueError(f"no public holidays known for country {country!r}")
            country_code = country
        return cls(days=parse_days(settings.support_days), opens=opens, closes=closes, tz=tz,
                   holiday_country=country_code)

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is a public holiday of :attr:`holiday_country`."""
        if self.holiday_country is None:
            return False
        return day in holidays.country_holidays(self.holiday_country, years=day.year)

    def is_working_day(self, day: date) -> bool:
        """A configured weekday that is not a public holiday."""
        return day.weekday() in self.days and not self.is_holiday(day)

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the team's time zone; a naive datetime is taken as UTC."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(self.tz)

    def is_open(self, moment: datetime) -> bool:
        """Whether the team is at work at ``moment`` (aware, or naive UTC)."""
        local = self.local(moment)
        if not self.is_working_day(local.date()):
            return False
        now = local.time()
        return self.opens <= now and (self.closes is None or now < self.closes)

    def next_opening(self, moment: datetime) -> datetime:
        """The next time the team starts work after ``moment`` (aware, team's time zone).

        Raises ``ValueError`` when no working day comes within a year (every day a holiday).
        """
        local = self.local(moment)
        day = local.date()
        if local.time() >= self.opens:
            day += timedelta(days=1)
        for _ in range(MAX_LOOKAHEAD_DAYS):
            if self.is_working_day(day):
                return datetime.combine(day, self.opens, tzinfo=self.tz)
            day += timedelta(days=1)
        raise ValueError("no working day of the support team within a year")


def french_day(day: date, today: date | None = None) -> str:
    """A day as customers read it: ``"lundi 1er décembre"``, ``"demain, mardi 2 décembre"``.

    ``today`` (in the same time zone) turns the next day into "demain".
    """
    text = format_date(day, format="EEEE d MMMM", locale="fr_FR")
    if day.day == 1:
        text = text.replace(" 1 ", " 1er ", 1)
    if today is not None and day == today + timedelta(days=1):
        return f"demain, {text}"
    return text


FRENCH_DAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _french_time(moment: time | None) -> str:
    """09:00 -> "9 h", 17:30 -> "17 h 30", None (midnight) -> "minuit"."""
    if moment is None:
        return "minuit"
    return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")


def describe(hours: SupportHours) -> str:
    """The support team's hours in French, for a customer: "du lundi au vendredi, de 9 h à
    18 h (heure de Paris)"; "le lundi, le mercredi et le samedi, ..."; "tous les jours, 24 h
    sur 24". Public holidays are not listed (the ``holidays`` package knows them)."""
    days = sorted(hours.days)
    if len(days) == 7:
        when = "tous les jours"
    elif days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        when = f"du {FRENCH_DAY_NAMES[days[0]]} au {FRENCH_DAY_NAMES[days[-1]]}"
    else:
        names = [f"le {FRENCH_DAY_NAMES[day]}" for day in days]
        when = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]
    if hours.opens == time(0, 0) and hours.closes is None:
        return f"{when}, 24 h sur 24"
    city = str(hours.tz.key).split("/")[-1].replace("_", " ")
    return (f"{when}, de {_french_time(hours.opens)} à {_french_time(hours.closes)} "
            f"(heure de {city})")
