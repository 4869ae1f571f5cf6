"""An indicator CSV row as a model: every problem of a row at once, in the import's words."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cockpit.model.schema.indicators import IndicatorRow, row_problems


def test_a_good_row_reads_its_text():
    row = IndicatorRow.model_validate({"period": "2026-10", "code": "pilot.area.youzheng",
                                       "name": "优政", "region": "", "value": "1,286.4",
                                       "target": "", "unit": "亿元"})
    assert (row.region, row.value, row.target, row.source) == ("370700", 1286.4, None, "")


def test_every_problem_of_a_row_is_named_in_column_order():
    with pytest.raises(ValidationError) as err:
        IndicatorRow.model_validate({"period": "2026-13", "code": "Pilot", "name": "",
                                     "region": "370799", "value": "abc", "target": "x"})
    assert row_problems(err.value) == [
        "period '2026-13' is not YYYY, YYYY-MM or YYYY-MM-DD",
        "code 'Pilot' must be lower-case letters, digits, _ and dots", "name is empty",
        "region '370799' is not 370700 or a district code of Weifang",
        "value 'abc' is not a number", "target 'x' is not a number"]
