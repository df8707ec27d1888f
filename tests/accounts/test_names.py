"""Duplicate people are found across scripts and spellings; different people are not."""

from __future__ import annotations

import pytest

from lms.accounts.names import is_possible_duplicate, name_key, name_tokens, word_key

#: Spellings of one word that must share a key.
SAME_WORD = [
    ["Mohammad", "Muhammad", "Muhammed", "Mohammed", "Muhamad", "محمد", "Мухаммад", "Мухаммед"],
    ["Karimov", "Karimev", "Каримов", "Karimoff"],
    ["Aliyev", "Aliev", "Алиев", "Əliyev"],
    ["O‘g‘iloy", "O'g'iloy", "Oʻgʻiloy", "Ogiloy", "Oʼgʼiloy"],
    ["Yusuf", "Yousuf", "Юсуф", "یوسف", "يوسف"],
    ["Fatemeh", "Fatima", "Fatimah", "فاطمه", "فاطمة", "Фатима"],
    ["Zhanar", "Janar", "Жанар"],
    ["Jamshid", "Jamshed", "Dzhamshid", "Джамшид", "Ҷамшед"],
    ["Askhat", "Asqat", "Асхат", "Асқат"],
    ["Khan", "خان", "Хан"],
    ["Kazim", "Kadhim", "كاظم", "کاظم"],
    ["Nurlan", "Нурлан"],
    ["Shakhnoza", "Shaxnoza", "Шахноза"],
]

#: Words that must not collide.
DIFFERENT_WORDS = [
    ("Karimov", "Rahimov"),
    ("Dilshod", "Dilnoza"),
    ("Aibek", "Aigul"),
    ("Ali", "Omar"),
]


@pytest.mark.parametrize("spellings", SAME_WORD, ids=lambda s: s[0])
def test_spellings_of_one_word_share_a_key(spellings):
    keys = {word_key(s) for s in spellings}
    assert len(keys) == 1, dict(zip(spellings, map(word_key, spellings), strict=True))


@pytest.mark.parametrize(("a", "b"), DIFFERENT_WORDS)
def test_different_words_differ(a, b):
    assert word_key(a) != word_key(b)


#: Pairs of full names that are possibly the same person.
SAME_PERSON = [
    ("Muhammad Karimov", "Мухаммад Каримов"),
    ("Karimov Mohammad", "Muhammed Karimov"),
    ("Mohammad Imran Khan", "محمد عمران خان"),
    ("Дилшод Каримов Рустамович", "Dilshod Karimov"),
    ("Oʻgʻiloy Rahimova", "O'g'iloy Rahimova"),
    ("Fatemeh Ahmadi", "فاطمه احمدی"),
    ("Jamshed Odinaev", "Ҷамшед Одинаев"),
    ("Askhat Yermekov", "Асхат Ермеков"),
    ("Zainab Ali", "زينب علي"),
    ("Фарход Рахимов", "Farhod Rahimov"),
]

DIFFERENT_PEOPLE = [
    ("Muhammad Karimov", "Dilshod Karimov"),
    ("Aibek Zhumabaev", "Aigul Zhumabaeva Nurlanovna"),
    ("Ali Raza", "Ali Hassan"),
    ("Nodira Yusupova", "Nodira Karimova"),
]


@pytest.mark.parametrize(("a", "b"), SAME_PERSON)
def test_variant_spellings_of_a_person_match(a, b):
    assert is_possible_duplicate(name_tokens(a), name_tokens(b))


@pytest.mark.parametrize(("a", "b"), DIFFERENT_PEOPLE)
def test_different_people_do_not_match(a, b):
    assert not is_possible_duplicate(name_tokens(a), name_tokens(b))


def test_single_word_names_match_only_each_other():
    assert is_possible_duplicate(name_tokens("Mohammad"), name_tokens("محمد"))
    assert not is_possible_duplicate(name_tokens("Mohammad"), name_tokens("Mohammad Khan"))


def test_key_is_sorted_and_space_delimited():
    assert name_key("Karimov Dilshod", "Дилшод Каримов") == " dlsd krmv "
    assert name_key("", None, "  ") == ""


@pytest.mark.parametrize("junk", ["", "   ", "123", "---", "‌", "ـــ"])
def test_names_without_letters_give_no_tokens(junk):
    assert name_tokens(junk) == frozenset()
