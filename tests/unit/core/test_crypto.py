import os

import pytest

from fincrm.core.crypto import FieldCipher


class TestFieldCipher:
    def test_round_trip_and_determinism(self) -> None:
        cipher = FieldCipher(os.urandom(64), "national_id")
        a = cipher.encrypt("11010519491231002X")
        assert a == cipher.encrypt("11010519491231002X")
        assert b"1101051949" not in a
        assert cipher.decrypt(a) == "11010519491231002X"

    def test_ciphertext_is_bound_to_its_field_and_key(self) -> None:
        key = os.urandom(64)
        token = FieldCipher(key, "national_id").encrypt("x")
        with pytest.raises(ValueError, match="does not match"):
            FieldCipher(key, "phone").decrypt(token)
        with pytest.raises(ValueError, match="does not match"):
            FieldCipher(os.urandom(64), "national_id").decrypt(token)


class TestAlternateKey:
    def test_reads_go_on_during_a_rotation(self) -> None:
        old, new = os.urandom(64), os.urandom(64)
        under_old = FieldCipher(old, "national_id").encrypt("11010519491231002X")
        under_new = FieldCipher(new, "national_id").encrypt("11010519491231002X")
        during = FieldCipher(old, "national_id", alternate=new)
        assert during.decrypt(under_old) == during.decrypt(under_new) == "11010519491231002X"
        assert during.encrypt("x") == FieldCipher(old, "national_id").encrypt(
            "x"
        )  # writes keep the current key
        with pytest.raises(ValueError):
            FieldCipher(old, "national_id").decrypt(under_new)
