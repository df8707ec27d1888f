"""Serial codes: random, grouped for reading aloud, a check character that catches a
mistyped or swapped character before any lookup."""

from __future__ import annotations

import itertools

import pytest

from lms.certificates import serials


def test_a_serial_is_sixteen_characters_in_four_groups_with_a_valid_check():
    code = serials.new_serial()
    assert len(code) == 16 and serials.is_valid(code)
    assert serials.grouped(code).count("-") == 3 and len(serials.grouped(code)) == 19
    assert serials.BITS >= 64


def test_serials_do_not_repeat():
    assert len({serials.new_serial() for _ in range(2000)}) == 2000


def test_the_check_character_worked_by_hand():
    # Interim x ← 2·x XOR v in GF(32) (modulus x⁵ + x² + 1 = 0b100101); check = 2·x.
    # "1": x = 1 → check 2 → "2".
    assert serials.check_character("1") == "2"
    # "11": x = 1, then 2 XOR 1 = 3 → check 6 → "6".
    assert serials.check_character("11") == "6"
    # "Z" (31): x = 31 → 2·31 = 0b111110, reduced: XOR 0b100101 = 0b011011 = 27 → "V".
    assert serials.check_character("Z") == "V"
    assert serials.is_valid("K7QM2XHD9RTBV4N" + serials.check_character("K7QM2XHD9RTBV4N"))


def test_every_single_mistyped_character_is_caught():
    code = serials.new_serial()
    for position, wrong in itertools.product(range(16), serials.ALPHABET):
        if wrong == code[position]:
            continue
        typo = code[:position] + wrong + code[position + 1 :]
        assert not serials.is_valid(typo), (code, typo)


def test_every_swap_of_two_neighbours_is_caught():
    for _ in range(200):
        code = serials.new_serial()
        for position in range(15):
            if code[position] == code[position + 1]:
                continue
            swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
            assert not serials.is_valid(swapped), (code, swapped)


def test_a_typed_code_is_forgiven_its_case_dashes_and_look_alikes():
    code = "K7QM2XHD9RTBV4N" + serials.check_character("K7QM2XHD9RTBV4N")
    typed = serials.grouped(code).lower().replace("0", "o")
    assert serials.normalise(typed) == code
    assert serials.normalise(" " + serials.grouped(code).replace("K", "К") + " ") == code


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("", "length"), ("K7QM-2XHD", "length"), ("K7QM-2XHD-9RTB-V4N!", "character"),
     ("K7QM-2XHD-9RTB-V4NU", "character")],
)  # fmt: skip
def test_codes_that_cannot_be_serials_say_why(typed, reason):
    with pytest.raises(serials.SerialError) as error:
        serials.normalise(typed)
    assert error.value.reason == reason


def test_a_wrong_check_character_is_refused():
    code = serials.new_serial()
    other = next(c for c in serials.ALPHABET if c != code[-1])
    with pytest.raises(serials.SerialError, match="check"):
        serials.normalise(code[:-1] + other)
