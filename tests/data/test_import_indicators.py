"""``cockpit import-indicators``: the documented CSV loads; bad rows are each reported with their
line and reason, and a file with any of them loads nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support import ROOT

from cockpit.data.indicators_csv import IndicatorFileError, import_indicators, read_indicators
from cockpit.data.store import Store

EXAMPLE = ROOT / "docs" / "examples" / "indicators.csv"


def test_the_documented_example_loads(tmp_path):
    with Store(tmp_path / "c.duckdb") as store:
        assert import_indicators(store, EXAMPLE) == 10
        rows = store.reader().execute(
            "SELECT period, code, name, region, value, target, unit, source FROM indicators "
            "ORDER BY period, code, region").fetchall()
    assert ("2026-11", "invest.funds_in_place", "到位资金", "370700", 1286.4, 1500.0, "亿元",
            "市投资促进局") in rows  # empty region: the city; "1,286.4" read as a number
    assert ("2026-11", "pilot.area.youzheng", "优政", "370700", 23.6, 30.0, "分", "市大数据局") in rows


def test_reimport_replaces_rows_by_period_code_region(tmp_path):
    again = tmp_path / "again.csv"
    again.write_text("period,code,name,value\n2026-11,pilot.weight_total,任务完成权重,78.0\n",
                     encoding="utf-8-sig")
    with Store(tmp_path / "c.duckdb") as store:
        import_indicators(store, EXAMPLE)
        import_indicators(store, again)
        value = store.reader().execute(
            "SELECT value FROM indicators WHERE code = 'pilot.weight_total' AND period = '2026-11'"
        ).fetchone()[0]
        total = store.reader().execute("SELECT count(*) FROM indicators").fetchone()[0]
    assert value == 78.0 and total == 10


@pytest.mark.parametrize(("line", "reason"), [
    ("2026-13,a.b,名,370700,1,,,", "period '2026-13' is not YYYY, YYYY-MM or YYYY-MM-DD"),
    ("2026-02-30,a.b,名,370700,1,,,", "period '2026-02-30'"),
    ("2026-11,A B,名,370700,1,,,", "code 'A B' must be lower-case letters"),
    ("2026-11,a.b,,370700,1,,,", "name is empty"),
    ("2026-11,a.b,名,370799,1,,,", "region '370799' is not 370700 or a district code"),
    ("2026-11,a.b,名,370700,abc,,,", "value 'abc' is not a number"),
    ("2026-11,a.b,名,370700,nan,,,", "value 'nan' is not a number"),
    ("2026-11,a.b,名,370700,1,lots,,", "target 'lots' is not a number"),
    ("2026-11,a.b,名,370700,1", "expected 8 fields, found 5"),
])
def test_each_bad_row_is_reported_with_its_line_and_nothing_loads(tmp_path, line, reason):
    bad = tmp_path / "bad.csv"
    good = "2026-11,ok.one,好,370700,5,10,个,局"
    bad.write_text("period,code,name,region,value,target,unit,source\n" + good + "\n" + line + "\n",
                   encoding="utf-8")
    with pytest.raises(IndicatorFileError) as caught:
        read_indicators(bad)
    assert [(e.line, reason in e.message) for e in caught.value.errors] == [(3, True)]
    with Store(tmp_path / "c.duckdb") as store:
        with pytest.raises(IndicatorFileError):
            import_indicators(store, bad)
        assert store.reader().execute("SELECT count(*) FROM indicators").fetchone()[0] == 0


def test_bad_header_and_encoding(tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("period,code,value,colour\n2026,a,1,red\n", encoding="utf-8")
    with pytest.raises(IndicatorFileError, match="missing column.s. name; unknown column.s. colour"):
        read_indicators(f)
    f.write_bytes("period,code,name,value\n2026,a,名称,1\n".encode("gbk"))
    with pytest.raises(IndicatorFileError, match="not UTF-8"):
        read_indicators(f)


def test_cli_reports_every_bad_row_and_exits_1(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("period,code,name,value\n2026-11,a.b,名,x\n2026-11,a.c,名,1\n2026-11,a.c,名,2\n",
                   encoding="utf-8")
    cache = tmp_path / "c.duckdb"
    run = [sys.executable, "-m", "cockpit.cli", "import-indicators"]
    result = subprocess.run([*run, str(bad), "--cache", str(cache)], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 1
    assert f"{bad}:2: value 'x' is not a number" in result.stderr
    assert f"{bad}:4: same period, code and region as line 3" in result.stderr
    assert "2 problem(s); nothing loaded" in result.stderr
    ok = subprocess.run([*run, str(EXAMPLE), "--cache", str(cache)], cwd=ROOT, capture_output=True,
                        text=True)
    assert ok.returncode == 0 and "10 indicator row(s) loaded" in ok.stdout


def test_import_into_a_cache_made_earlier(tmp_path):
    """A reopened cache (no migration to run) takes the import too."""
    with Store(tmp_path / "c.duckdb"):
        pass
    with Store(tmp_path / "c.duckdb") as store:
        assert import_indicators(store, EXAMPLE) == 10
