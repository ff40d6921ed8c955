"""What each group of generated files depends on, as a key: when the key is the one of the last build and the
files are still as that build wrote them, the group is not rendered again.

A key is a hash of every input the group's pages are made from:

* ``site_key``: the code, the settings and, of every year, its report.yaml and departments.csv. These feed every
  page (site name, grade bands, 数据截止日期, year status, department names and links), so a change to any of them
  renders everything again.
* a year's group (its report page, list pages, its units' year pages, table downloads and open-data files): the site key and the bytes of
  the year's data files. A year page is built from that year's model alone, but for one thing: a project it names
  by code that its own project table lacks shows the name the nearest earlier published year gives it, and those
  names count too (``year_pages_key``).
* a project page: the site key and the digest of every record on it (each CSV row's digest is taken when it is
  read), with where each sits in its year's list (the page links to that list page and row).
* a department page: the site key and the digests of every record the department's history holds, with the names
  its records' projects have each year, taken a year at a time; a year's part depends on that year's data files alone, so the parts of years whose files did not change
  come from the cache (``department_keys``).

A project page none of whose years (those it shows now and those it showed at the last build) had its data files or
the site key changed is kept without working out its key at all (``project_years``).

Pages that summarise the whole archive (home, indexes, trackers, open-data list) are always rendered; they are few
and cheap. ``tests/test_incremental.py`` checks that after edits, added and removed records an incremental build is
byte-identical to a full one.
"""

from __future__ import annotations

import hashlib
import uuid

from . import cache
from .cache import ObjectCache
from .dataset import Dataset
from .lifecycle import DepartmentHistory, DepartmentYear, ProjectHistory
from .model import EvaluationView, GoalView, MonitoringView
from .schema import Department, YearReport


def site_key(ds: Dataset) -> str:
    parts: list[str | bytes] = ["site", ds.settings_bytes]
    for year, data in sorted(ds.years.items()):
        parts.append(str(year))
        for name in (YearReport.FILE, Department.FILE):
            path = data.path / name
            parts.append(path.read_bytes() if path.exists() else b"")
    return cache.key(*parts)


def year_pages_key(files_key: str | None, other_names: dict[str, str]) -> str | None:
    """What a year's pages (its group, its units' year parts) are made from: its data files and the names other
    years give the projects it names by code without holding them (model.YearModel.other_names)."""
    if files_key is None or not other_names:
        return files_key
    return _hash("year-pages", files_key, *(f"{code}={name}" for code, name in sorted(other_names.items())))


def combine(kind: str, *keys: str | None) -> str | None:
    """One key from several; None (render) when any is unknown."""
    return None if any(k is None for k in keys) else _hash(kind, *keys)


def _digest(record, own=None) -> str:
    """A record's own digest, with those of the rows shown under it (indicators, scores)."""
    own = own or _own
    if isinstance(record, GoalView):
        return own(record.goal) + "".join(own(i) for i in record.indicators)
    if isinstance(record, MonitoringView | EvaluationView):
        rows = record.indicators if isinstance(record, MonitoringView) else record.scores
        return own(record.record) + "".join(own(i) for i in rows)
    return own(record)


def _own(record) -> str:
    # Records not read from a CSV row (built in code) have no digest: a fresh token, so the page always renders.
    # (Read from pydantic's private dict directly: attribute access to private fields is slow at this volume.)
    return record.__pydantic_private__.get("_digest") or uuid.uuid4().hex


def project_key(site: str, h: ProjectHistory, positions: dict) -> str:
    parts = [site, h.code, h.slug, h.name, h.department]
    for c in h.cycles:
        parts.append(f"c{c.spending_year}:{_own(c.project) if c.project is not None else '-'}")
        for s in c.steps:
            # The page links to the list page holding the record's row, so its place in that list counts too.
            place = positions.get((s.disclosed_in, s.list_page, s.record_id))
            parts.append(f"{s.stage}|{s.disclosed_in}|{s.list_page}|{s.anchor}|{place}|{_digest(s.record)}")
    return _hash("project", *parts)


def project_years(h: ProjectHistory) -> set[int]:
    """The years whose data a project page shows: its spending years and the years its records were disclosed in.
    A page whose years (now and at the last build) all kept their data files and the site key has nothing new to
    show, and is kept without working out its key (render.Writer.keep_untouched); after an edit to one year that
    spares reading the digests of every record of ten years."""
    years = {c.spending_year for c in h.cycles}
    for c in h.cycles:
        years.update(s.disclosed_in for s in c.steps)
    return years


def department_keys(site: str, departments: dict[str, DepartmentHistory], year_keys: dict[int, str],
                    store: ObjectCache | None = None) -> dict[str, str]:
    """Every department page's key. Each year adds one part per department, the digests of its records that year;
    a year's model is made from that year's data files alone (and the names of ``year_pages_key``), so a year whose
    key in ``year_keys`` is as before has the same parts, which ``store`` keeps: after an edit to one year only its parts are worked
    out (on ten years of records that is most of the time keys take). A part holding a record without a digest is
    never stored, and stands as a fresh token (that page always renders)."""
    by_year: dict[int, dict[str, DepartmentYear]] = {}
    for name, d in departments.items():
        for dy in d.years:
            by_year.setdefault(dy.year, {})[name] = dy
    parts: dict[int, dict[str, str]] = {}
    for year, dys in by_year.items():
        where = cache.key("department-parts", year_keys[year]) if year in year_keys else None
        kept = (store.get(where) if store is not None and where else None) or {}
        made = {name: _department_year_part(dy) for name, dy in dys.items() if name not in kept}
        exact = {name: part for name, part in made.items() if part is not None}
        if exact and where and store is not None:
            store.put(where, kept | exact)
        parts[year] = kept | made
    return {name: _hash("department", site, name, d.slug,
                        *(parts[dy.year][name] or uuid.uuid4().hex for dy in d.years))
            for name, d in departments.items()}


def _department_year_part(dy: DepartmentYear) -> str | None:
    """The digests of a department's records in one year; None if one of them has none."""
    try:
        # Which tables the year published counts too: an empty table shows 0 where a missing one shows "—".
        parts = [f"y{dy.year}:{_stored(dy.record) if dy.record is not None else '-'}:{','.join(sorted(dy.provided))}"]
        for group in (dy.projects, dy.goals, dy.monitoring, dy.evaluations, dy.rectifications, dy.applications,
                      dy.exante, dy.implemented):
            parts.append(",".join(_digest(r, _stored) for r in group))
        parts.append(",".join(f"{code}={name}" for code, name in dy.project_names.items()))
    except _NoDigest:
        return None
    return "|".join(parts)


class _NoDigest(Exception):
    pass


def _stored(record) -> str:
    digest = record.__pydantic_private__.get("_digest")
    if not digest:
        raise _NoDigest
    return digest


def _hash(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()
