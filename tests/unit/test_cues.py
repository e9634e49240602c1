"""The surface cues of a claim that bear on whether two claims can both be true."""

import pytest

from claims.cues import PAIR_CUES, pair_cues, profile


def cues(a: str, b: str) -> dict:
    return pair_cues(profile(a), profile(b))


def test_unity_against_fractures_is_an_antonym_cue():
    found = cues("Western unity on sanctions remained steadfast.", "The conference revealed notable divides between allies.")
    assert found["antonym"] == 1


def test_two_claims_on_the_same_side_of_an_axis_are_not_antonyms():
    assert cues("Allied unity remained steadfast.", "The allies stayed united.")["antonym"] == 0


@pytest.mark.parametrize(
    "text, negated",
    [
        ("Moscow did not attend the conference.", True),
        ("The talks never happened.", True),
        ("This is not only a crisis but also an opportunity.", False),
        ("There is no doubt the talks took place.", False),
        ("Officials said the summit went ahead.", False),
    ],
)
def test_negation_is_read_without_not_only(text, negated):
    assert (profile(text).negations > 0) is negated


def test_one_side_refuting_the_other_is_a_cue_both_refuting_is_not():
    assert cues("The video shows a meteor.", "The video is a hoax, experts said.")["refuting"] > 0
    assert cues("The photo is fake.", "Experts called the photo a hoax.")["refuting"] == 0


def test_hedged_against_asserted():
    assert cues("The minister may resign.", "The minister resigned on Monday.")["hedge_mismatch"] == 1
    assert cues("The minister resigned.", "The minister quit on Monday.")["hedge_mismatch"] == 0


def test_different_numbers_and_years_are_cues_and_years_are_not_numbers():
    different = cues("NATO now has 32 members.", "NATO now has 30 members.")
    assert different["number_mismatch"] == 1 and different["date_differs"] == 0
    same = cues("NATO, founded in 1949, has 32 members.", "The alliance has 32 members.")
    assert same["number_mismatch"] == 0
    assert cues("At the 2024 conference, unity held.", "At the 2025 conference, unity cracked.")["date_differs"] == 1
    assert profile("At the 2024 conference, 5,000 people came.").numbers == {"5000"}


def test_only_numbers_of_the_same_unit_can_differ():
    assert cues("Spending rose 2% this year.", "Spending rose 5% this year.")["number_mismatch"] == 1
    assert cues("NATO has 32 members.", "Spending rose 2% this year.")["number_mismatch"] == 0
    assert cues("It cost $5 billion and 3%.", "It cost 5 billion, officials said.")["number_mismatch"] == 0


def test_numbers_keep_their_unit():
    assert profile("Spending rose 2% to $5 billion.").numbers == {"2%", "5billion"}


def test_every_pair_cue_is_reported():
    assert set(cues("a b c d.", "e f g h.")) == set(PAIR_CUES)


def test_not_necessarily_is_a_hedge_not_a_negation():
    p = profile("The shift doesn’t necessarily mean the end of NATO.")
    assert p.negations == 0 and p.hedges == 1
