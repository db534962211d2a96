"""Reading framework and holiday-calendar files: the file side of cycle.framework."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from cycle.framework import Framework, FrameworkError, content_hash, parse_framework
from cycle.workcalendar import HolidayCalendarError, HolidayPeriod, parse_holiday_calendar


@dataclass(frozen=True)
class LoadedFramework:
    framework: Framework
    content: dict
    content_hash: str
    path: Path


def _read_yaml(path: Path, what: str):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FrameworkError(f"the {what} file {path} does not exist") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise FrameworkError(f"the {what} file {path} is not valid YAML{where}") from None


def available(frameworks_dir: Path) -> list[str]:
    return sorted(p.stem for p in frameworks_dir.glob("*.yaml"))


def load_framework(name_or_path: str, frameworks_dir: Path) -> LoadedFramework:
    """A framework by name (frameworks/NAME.yaml) or by path to a YAML file."""
    path = Path(name_or_path)
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        path = frameworks_dir / f"{name_or_path}.yaml"
        if not path.exists():
            names = ", ".join(available(frameworks_dir)) or "none"
            raise FrameworkError(f"there is no framework '{name_or_path}' (available: {names})")
    data = _read_yaml(path, "framework")
    fw = parse_framework(data, source=str(path))
    return LoadedFramework(fw, data, content_hash(data), path)


def shipped_holidays(frameworks_dir: Path) -> list[HolidayPeriod]:
    """The dated calendars shipped with the frameworks: school holidays and closing days
    (frameworks/holidays) and committee meeting calendars (frameworks/committees, one period per
    meeting day), in the one shape that `holidays import` adds to."""
    periods: list[HolidayPeriod] = []
    paths = sorted((frameworks_dir / "holidays").glob("*.yaml")) + sorted((frameworks_dir / "committees").glob("*.yaml"))
    for path in paths:
        try:
            periods.extend(parse_holiday_calendar(_read_yaml(path, "holiday calendar"), str(path)))
        except HolidayCalendarError as exc:
            raise FrameworkError(str(exc)) from None
    return periods


def framework_holiday_calendars(frameworks_dir: Path) -> set[str]:
    """The holiday calendars the shipped framework files name (per sector)."""
    names: set[str] = set()
    for path in frameworks_dir.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names |= calendars_named(data)
    return names


def calendars_named(data: dict) -> set[str]:
    """The dated calendars a framework document names: per sector, the summer's, the committee's."""
    holidays = data.get("holidays") or {}
    names = set((holidays.get("school_holidays") or {}).values())
    names.add((holidays.get("summer") or {}).get("calendar"))
    names.add((data.get("committee_overview") or {}).get("calendar"))
    return {n for n in names if n}
