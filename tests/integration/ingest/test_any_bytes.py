"""Whatever bytes arrive as a CSV, the import ends in a clean InputError or in checked rows."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fincrm.core.crypto import FieldCipher
from fincrm.errors import InputError
from fincrm.ingest.entities import DeriveContext, get_entity
from fincrm.ingest.reader import SourceOptions, read_csv
from fincrm.ingest.service import prepare

HEADERS = st.sampled_from(
    [b"code,name\n", b"code,name,city\r\n", b"\xef\xbb\xbfcode,name\n", b"code;name\n", b""]
)
BODY = st.binary(max_size=200) | st.text(alphabet='AB1 ,;"\r\n张?', max_size=120).map(
    lambda t: t.encode("utf-8")
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=HEADERS, body=BODY)
def test_any_bytes_give_an_input_error_or_checked_rows(session, header: bytes, body: bytes) -> None:
    context = DeriveContext(
        FieldCipher(b"k" * 64, "national_id"), datetime(2026, 1, 1, tzinfo=UTC), ZoneInfo("Asia/Shanghai")
    )
    try:
        source = read_csv(header + body, "any.csv", SourceOptions())
        prepared = prepare(session, get_entity("branches"), source, None, context)
    except InputError as exc:
        assert exc.errors and all(e.loc[0] == "any.csv" for e in exc.errors)
        return
    good = ~prepared.bad
    for column in ("code", "name"):
        values = np.array(prepared.output[column].to_pylist(), dtype=object)
        assert all(v is not None and v.strip() == v and 0 < len(v) for v in values[good])
    errors = prepared.errors()
    assert len({e.loc[1] for e in errors}) == prepared.rejected
    assert all(isinstance(e.loc[1], int) and e.loc[1] > source.header_line for e in errors)
