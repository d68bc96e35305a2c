import pytest

from fincrm import errors
from fincrm.errors import FieldError, FincrmError, InputError

ALL_ERRORS = [
    cls for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, FincrmError)
]  # fmt: skip


class TestErrorShape:
    @pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
    def test_every_error_yields_the_one_shape(self, cls: type[FincrmError]) -> None:
        body = cls(
            "what went wrong", errors=[FieldError(("file.csv", 3, "amount"), "not a number", "x")]
        ).as_dict()
        assert set(body) == {"ok", "error", "errors", "code", "status"}
        assert body["ok"] is False and body["error"] == "what went wrong"
        assert body["errors"] == [{"loc": ["file.csv", 3, "amount"], "msg": "not a number", "input": "x"}]
        assert body["code"] == str(cls.code) and 400 <= body["status"] < 600

    def test_input_error_is_a_value_error(self) -> None:
        assert issubclass(InputError, ValueError)

    def test_field_error_reads_as_file_line_column(self) -> None:
        assert str(FieldError(("a.csv", 7, "birth_on"), "not a date", "1990-13-01")) == (
            "a.csv:7:birth_on: not a date (got '1990-13-01')"
        )
