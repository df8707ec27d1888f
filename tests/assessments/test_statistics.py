"""Statistics of pre/post tests: gains, the t distribution, item analysis, DIF, tags.

Pure tests: every expected value is worked out by hand in the comments next to it (or comes
from a printed table or a closed formula), then compared with pytest.approx.
"""

from __future__ import annotations

import math

import pytest

from lms.assessments.statistics import (
    MantelHaenszel,
    by_tag,
    ets_class,
    group_gain,
    hake_band,
    item_analysis,
    learner_gain,
    mantel_haenszel,
    regularised_incomplete_beta,
    t_cdf,
    t_quantile,
    t_two_sided_p,
    tag_gain,
    translation_dif,
)

# --------------------------------------------------------------------------------------------
# 1. One learner
# --------------------------------------------------------------------------------------------


def test_learner_gain_of_the_reporting_example():
    # pre 48, post 76: gain = 76 − 48 = 28 points; g = 28 / (100 − 48) = 28 / 52 = 0.53846
    result = learner_gain(48, 76)
    assert result.pre == 48
    assert result.post == 76
    assert result.gain == 28
    assert result.normalised_gain == pytest.approx(28 / 52)
    assert result.normalised_gain == pytest.approx(0.538, abs=5e-4)
    assert result.band == "medium"


def test_learner_gain_is_undefined_at_a_full_pre_test():
    # g = (post − 100) / (100 − 100) = x / 0: undefined, so None (the raw gain still exists).
    result = learner_gain(100, 90)
    assert result.gain == -10
    assert result.normalised_gain is None
    assert result.band is None


def test_learner_gain_may_be_negative():
    # pre 60, post 45: gain −15, g = −15 / 40 = −0.375, in the "low" band.
    result = learner_gain(60, 45)
    assert result.gain == -15
    assert result.normalised_gain == pytest.approx(-0.375)
    assert result.band == "low"


@pytest.mark.parametrize(("pre", "post"), [(None, 70), (40, None), (None, None)])
def test_learner_gain_needs_both_scores(pre, post):
    result = learner_gain(pre, post)
    assert (result.pre, result.post) == (pre, post)
    assert result.gain is None
    assert result.normalised_gain is None


@pytest.mark.parametrize(("pre", "post"), [(-1, 50), (40, 100.5), (math.nan, 50), (40, math.inf)])
def test_learner_gain_refuses_scores_outside_0_to_100(pre, post):
    with pytest.raises(ValueError, match="percentage"):
        learner_gain(pre, post)


@pytest.mark.parametrize(
    ("g", "band"),
    [(None, None), (-0.2, "low"), (0.29, "low"), (0.3, "medium"), (0.7, "medium"),
     (0.71, "high"), (1.0, "high")],
)  # fmt: skip
def test_hake_bands(g, band):
    assert hake_band(g) == band


# --------------------------------------------------------------------------------------------
# 2. A group of matched pairs
# --------------------------------------------------------------------------------------------

#: Six learners (pre, post), worked by hand below.
PAIRS = [(40, 70), (50, 70), (60, 85), (30, 40), (70, 85), (50, 70)]


def test_group_gain_worked_by_hand():
    result = group_gain(PAIRS, threshold=20, pass_mark=75)
    assert result.n == 6
    assert result.small_sample  # 6 < 10

    # pre:  40 50 60 30 70 50 → Σ 300, mean 50
    # post: 70 70 85 40 85 70 → Σ 420, mean 70
    assert result.mean_pre == pytest.approx(50)
    assert result.mean_post == pytest.approx(70)
    # pre deviations −10 0 10 −20 20 0 → squares 100 0 100 400 400 0 = 1000; /5 = 200
    assert result.sd_pre == pytest.approx(math.sqrt(200))  # 14.1421
    # post deviations 0 0 15 −30 15 0 → squares 0 0 225 900 225 0 = 1350; /5 = 270
    assert result.sd_post == pytest.approx(math.sqrt(270))  # 16.4317

    # gains: 30 20 25 10 15 20 → Σ 120, mean 20
    # deviations 10 0 5 −10 −5 0 → squares 100 0 25 100 25 0 = 250; s² = 250/5 = 50
    assert result.mean_gain == pytest.approx(20)
    assert result.sd_gain == pytest.approx(math.sqrt(50))  # 7.0711

    # ⟨g⟩ = (70 − 50) / (100 − 50) = 0.4 → "medium"
    assert result.class_average_g == pytest.approx(0.4)
    assert result.hake_band == "medium"
    # individual g: 30/60 = 0.5, 20/50 = 0.4, 25/40 = 0.625, 10/70 = 0.142857,
    # 15/30 = 0.5, 20/50 = 0.4 → Σ 2.567857, mean 0.427976 (≠ ⟨g⟩ = 0.4)
    assert result.mean_individual_g == pytest.approx((0.5 + 0.4 + 0.625 + 1 / 7 + 0.5 + 0.4) / 6)
    assert result.mean_individual_g == pytest.approx(0.427976, abs=1e-6)
    assert result.n_individual_g == 6

    # improved: all 6 → 100 %; gain ≥ 20: 30, 20, 25, 20 → 4/6 = 66.67 %;
    # post ≥ 75: 85, 85 → 2/6 = 33.33 %
    assert result.percent_improved == pytest.approx(100)
    assert result.percent_reached_threshold == pytest.approx(400 / 6)
    assert result.percent_passed == pytest.approx(200 / 6)

    # SE = s / √n = 7.0711 / 2.4495 = 2.88675; t = 20 / 2.88675 = 6.92820 (= √48); df = 5
    assert result.t == pytest.approx(math.sqrt(48))
    assert result.df == 5
    # Closed form of the t CDF for 5 df, θ = atan(t / √5):
    # P(|T| < t) = (2/π)(θ + sin θ cos θ (1 + ⅔ cos² θ)) → p = 1 − that = 0.000961253
    theta = math.atan(math.sqrt(48) / math.sqrt(5))
    sin, cos = math.sin(theta), math.cos(theta)
    inside = 2 / math.pi * (theta + sin * cos * (1 + 2 / 3 * cos**2))
    assert result.p_value == pytest.approx(1 - inside, rel=1e-9)
    assert result.p_value == pytest.approx(0.000961253, abs=1e-9)

    # 95 % CI: t(0.975, 5) = 2.570582 (table); margin = 2.570582 × 2.886751 = 7.420630
    # → 20 ± 7.420630 = [12.579370, 27.420630]
    assert result.confidence == 0.95
    assert result.ci_low == pytest.approx(12.579370, abs=1e-5)
    assert result.ci_high == pytest.approx(27.420630, abs=1e-5)

    # d_z = 20 / 7.0711 = 2.828427 (= 2√2); t = d_z · √n: 2.828427 × 2.449490 = 6.928203
    assert result.cohens_dz == pytest.approx(2 * math.sqrt(2))
    # d_av = 20 / ((14.142136 + 16.431677) / 2) = 20 / 15.286906 = 1.308309
    assert result.cohens_dav == pytest.approx(1.308309, abs=1e-6)

    # Wilcoxon: |gains| sorted 10 15 20 20 25 30 → ranks 1 2 3.5 3.5 5 6; all positive, so
    # W+ = 21, W− = 0. Mean 6·7/4 = 10.5; variance 6·7·13/24 − (2³ − 2)/48 = 22.75 − 0.125
    # = 22.625; z = 10.5 / √22.625 = 10.5 / 4.756574 = 2.207471; p = 2(1 − Φ(z)) = 0.027281
    wilcoxon = result.wilcoxon
    assert wilcoxon is not None
    assert wilcoxon.n_nonzero == 6
    assert (wilcoxon.w_plus, wilcoxon.w_minus) == (21, 0)
    assert wilcoxon.z == pytest.approx(10.5 / math.sqrt(22.625))
    assert wilcoxon.p_value == pytest.approx(0.027281, abs=1e-6)


def test_group_gain_of_nobody():
    result = group_gain([], pass_mark=60)
    assert result.n == 0
    assert result.small_sample
    assert result.n_individual_g == 0
    assert result.pass_mark == 60
    for name in (
        "mean_pre", "mean_post", "sd_pre", "sd_post", "mean_gain", "sd_gain", "class_average_g",
        "hake_band", "mean_individual_g", "percent_improved", "percent_reached_threshold",
        "percent_passed", "t", "df", "p_value", "ci_low", "ci_high", "cohens_dz", "cohens_dav",
        "wilcoxon",
    ):  # fmt: skip
        assert getattr(result, name) is None, name


def test_group_gain_of_one_learner():
    # One pair (40, 70): means and the gain exist; no spread, so no SD, t, CI or d.
    result = group_gain([(40, 70)])
    assert result.n == 1
    assert (result.mean_pre, result.mean_post, result.mean_gain) == (40, 70, 30)
    assert result.class_average_g == pytest.approx(30 / 60)
    assert result.mean_individual_g == pytest.approx(0.5)
    assert result.percent_improved == 100
    assert result.percent_passed is None  # no pass mark given
    for name in ("sd_pre", "sd_post", "sd_gain", "t", "df", "p_value", "ci_low", "ci_high",
                 "cohens_dz", "cohens_dav"):  # fmt: skip
        assert getattr(result, name) is None, name
    # Wilcoxon with n = 1: W+ = 1, mean 0.5, variance 1·2·3/24 = 0.25, z = 0.5/0.5 = 1
    assert result.wilcoxon is not None
    assert result.wilcoxon.z == pytest.approx(1)


def test_group_gain_with_identical_gains():
    # Every learner gains 10: s = 0, so t = 10 / 0 and d_z = 10 / 0 are undefined (None),
    # and the interval shrinks to 10 ± t · 0 = [10, 10].
    result = group_gain([(40, 50), (50, 60), (60, 70)])
    assert result.mean_gain == pytest.approx(10)
    assert result.sd_gain == 0
    assert result.df == 2
    assert (result.t, result.p_value, result.cohens_dz) == (None, None, None)
    assert (result.ci_low, result.ci_high) == (pytest.approx(10), pytest.approx(10))
    # sd pre = sd post = 10 (deviations −10 0 10: 200/2 = 100) → d_av = 10 / 10 = 1
    assert result.cohens_dav == pytest.approx(1)
    # Wilcoxon: three tied |gains| share rank 2 → W+ = 6; mean 3·4/4 = 3; variance
    # 3·4·7/24 − (27 − 3)/48 = 3.5 − 0.5 = 3; z = 3 / √3 = √3
    assert result.wilcoxon is not None
    assert result.wilcoxon.w_plus == 6
    assert result.wilcoxon.z == pytest.approx(math.sqrt(3))


def test_group_gain_with_no_change_at_all():
    result = group_gain([(50, 50), (60, 60)])
    assert result.sd_gain == 0
    assert result.t is None
    assert result.percent_improved == 0
    assert result.cohens_dav == 0  # 0 / 7.07
    assert result.wilcoxon is None  # every difference is zero: nothing to rank


def test_group_gain_leaves_full_pre_tests_out_of_the_individual_g():
    # (100, 90): individual g undefined, left out; (50, 75): g = 25/50 = 0.5.
    # ⟨g⟩ uses the means: pre 75, post 82.5 → 7.5 / 25 = 0.3.
    result = group_gain([(100, 90), (50, 75)])
    assert result.n_individual_g == 1
    assert result.mean_individual_g == pytest.approx(0.5)
    assert result.class_average_g == pytest.approx(0.3)
    assert result.percent_improved == 50


def test_group_gain_with_everyone_at_100_before():
    result = group_gain([(100, 100), (100, 95)])
    assert result.class_average_g is None
    assert result.hake_band is None
    assert result.mean_individual_g is None
    assert result.n_individual_g == 0


def test_wilcoxon_with_losses_and_zeros():
    # gains 5, −3, 8, −3, 0: the zero is dropped; |gains| 3 3 5 8 → ranks 1.5 1.5 3 4.
    # W+ = 3 + 4 = 7, W− = 1.5 + 1.5 = 3; mean 4·5/4 = 5;
    # variance 4·5·9/24 − (2³ − 2)/48 = 7.5 − 0.125 = 7.375; z = 2 / √7.375 = 0.736460
    result = group_gain([(50, 55), (50, 47), (40, 48), (60, 57), (70, 70)])
    wilcoxon = result.wilcoxon
    assert wilcoxon is not None
    assert wilcoxon.n_nonzero == 4
    assert (wilcoxon.w_plus, wilcoxon.w_minus) == (7, 3)
    assert wilcoxon.z == pytest.approx(2 / math.sqrt(7.375))
    assert wilcoxon.p_value == pytest.approx(math.erfc(2 / math.sqrt(7.375) / math.sqrt(2)))
    # 2 of 5 improved (+5, +8); two lost ground and one stayed.
    assert result.percent_improved == pytest.approx(40)


def test_wilcoxon_ties_gains_that_are_equal_on_paper():
    # 70.1 − 50.1 and 80.2 − 60.2 are both 20, though not in binary floating point.
    assert 70.1 - 50.1 != 80.2 - 60.2
    wilcoxon = group_gain([(50.1, 70.1), (60.2, 80.2)]).wilcoxon
    assert wilcoxon is not None
    assert wilcoxon.w_plus == 3  # ranks 1.5 + 1.5
    # variance 2·3·5/24 − (8 − 2)/48 = 1.25 − 0.125 = 1.125; z = 1.5 / √1.125
    assert wilcoxon.z == pytest.approx(1.5 / math.sqrt(1.125))


def test_group_gain_is_not_a_small_sample_from_ten_pairs():
    assert group_gain([(50, 60 + i) for i in range(10)]).small_sample is False
    assert group_gain([(50, 60 + i) for i in range(9)]).small_sample is True


def test_group_gain_refuses_bad_input():
    with pytest.raises(ValueError, match="percentage"):
        group_gain([(50, 120)])
    with pytest.raises(ValueError, match="confidence"):
        group_gain(PAIRS, confidence=1.0)
    with pytest.raises(ValueError, match="pass mark"):
        group_gain(PAIRS, pass_mark=101)


def test_group_gain_confidence_level():
    # 99 %: t(0.995, 5) = 4.032143; margin = 4.032143 × 2.886751 = 11.639795
    result = group_gain(PAIRS, confidence=0.99)
    assert result.ci_low == pytest.approx(20 - 11.639795, abs=1e-5)
    assert result.ci_high == pytest.approx(20 + 11.639795, abs=1e-5)


# --------------------------------------------------------------------------------------------
# 3. Student's t distribution
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [
        (0.975, 9, 2.262157),
        (0.975, 1, 12.706205),
        (0.975, 30, 2.042272),
        (0.995, 5, 4.032143),
        (0.975, 5, 2.570582),
        (0.95, 10, 1.812461),
        (0.975, 120, 1.979930),
        (0.975, 10_000, 1.960201),
        (0.975, 1_000_000, 1.959966),
        (0.975, math.inf, 1.959964),
    ],
)
def test_t_quantiles_match_the_tables(p, df, expected):
    assert t_quantile(p, df) == pytest.approx(expected, abs=1e-6)
    assert t_quantile(1 - p, df) == pytest.approx(-expected, abs=1e-6)


def test_t_quantile_approaches_the_normal_one():
    values = [t_quantile(0.975, df) for df in (10, 100, 1_000, 100_000, 10**9)]
    assert values == sorted(values, reverse=True)
    assert values[-1] == pytest.approx(1.959964, abs=1e-6)


@pytest.mark.parametrize("df", [1, 2, 3.5, 9, 30, 1000])
def test_t_cdf_is_symmetric_about_zero(df):
    assert t_cdf(0, df) == 0.5
    assert t_quantile(0.5, df) == 0
    for t in (0.1, 1, 2.5, 40):
        assert t_cdf(-t, df) == pytest.approx(1 - t_cdf(t, df), abs=1e-15)
        assert t_two_sided_p(t, df) == pytest.approx(2 * t_cdf(-t, df))
        assert t_two_sided_p(-t, df) == t_two_sided_p(t, df)


@pytest.mark.parametrize("t", [-30, -2, -0.5, 0.3, 1, 4, 250])
def test_t_cdf_matches_closed_forms(t):
    # 1 df (Cauchy): F(t) = ½ + atan(t)/π; 2 df: F(t) = ½ + t / (2 √(2 + t²))
    assert t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-13)
    assert t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-13)


@pytest.mark.parametrize(
    ("p", "df"), [(0.6, 3), (0.9, 2.5), (0.999, 7), (1e-9, 4), (0.5 + 1e-9, 12)]
)
def test_t_quantile_inverts_the_cdf(p, df):
    assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, rel=1e-9)


def test_t_two_sided_p_keeps_small_values():
    # 1 df: P(|T| ≥ t) = 1 − (2/π) atan(t) = (2/π) atan(1/t) ≈ 2 / (π t) for large t
    assert t_two_sided_p(1e6, 1) == pytest.approx(2 / math.pi * math.atan(1e-6), rel=1e-9)
    assert t_two_sided_p(0, 5) == 1


def test_regularised_incomplete_beta_closed_forms():
    # I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b; I_½(a, a) = ½;
    # I_0.3(2, 3) = Σ_{j=2..4} C(4, j) 0.3^j 0.7^(4−j) = 0.2646 + 0.0756 + 0.0081 = 0.3483
    assert regularised_incomplete_beta(0.37, 1, 1) == pytest.approx(0.37)
    assert regularised_incomplete_beta(0.6, 3, 1) == pytest.approx(0.6**3)
    assert regularised_incomplete_beta(0.2, 1, 4) == pytest.approx(1 - 0.8**4)
    assert regularised_incomplete_beta(0.5, 7.5, 7.5) == pytest.approx(0.5)
    assert regularised_incomplete_beta(0.3, 2, 3) == pytest.approx(0.3483)
    assert regularised_incomplete_beta(0, 2, 3) == 0
    assert regularised_incomplete_beta(1, 2, 3) == 1


def test_distribution_functions_refuse_bad_arguments():
    with pytest.raises(ValueError, match="degrees of freedom"):
        t_cdf(1, 0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        t_quantile(1, 5)
    with pytest.raises(ValueError, match="positive"):
        regularised_incomplete_beta(0.5, -1, 2)


# --------------------------------------------------------------------------------------------
# 4. Item analysis
# --------------------------------------------------------------------------------------------

#: Six attempts × four 0/1 items, worked by hand:
#:
#:          i1 i2 i3 i4   total T   per cent
#:     L1    1  1  1  1      4        100
#:     L2    1  0  1  1      3         75
#:     L3    1  1  1  0      3         75
#:     L4    0  0  1  1      2         50
#:     L5    1  0  1  0      2         50
#:     L6    0  0  0  0      0          0
SIX = [
    {"i1": 1, "i2": 1, "i3": 1, "i4": 1},
    {"i1": 1, "i2": 0, "i3": 1, "i4": 1},
    {"i1": 1, "i2": 1, "i3": 1, "i4": 0},
    {"i1": 0, "i2": 0, "i3": 1, "i4": 1},
    {"i1": 1, "i2": 0, "i3": 1, "i4": 0},
    {"i1": 0, "i2": 0, "i3": 0, "i4": 0},
]


def test_test_statistics_worked_by_hand():
    result = item_analysis(SIX)
    assert result.n == 6
    # totals 100 75 75 50 50 0: mean 350/6 = 58.333; median (50 + 75)/2 = 62.5
    assert result.mean == pytest.approx(350 / 6)
    assert result.median == 62.5
    # In units of 25/3, the deviations are 5 2 2 −1 −1 −7: Σu² = 84, Σu³ = −204, Σu⁴ = 3060.
    # SD = (25/3) √(84/5) = 34.156503
    assert result.sd == pytest.approx(25 / 3 * math.sqrt(84 / 5))
    # m2 = 84/6 = 14, m3 = −204/6 = −34, m4 = 3060/6 = 510 (units cancel below)
    # k2 = 6/5 · 14 = 16.8; k3 = 36/20 · (−34) = −61.2; skewness = −61.2 / 16.8^1.5 = −0.888766
    assert result.skewness == pytest.approx(-61.2 / 16.8**1.5)
    # k4 = 36/60 · (7 · 510 − 3 · 5 · 14²) = 0.6 · (3570 − 2940) = 378;
    # kurtosis = 378 / 16.8² = 1.339286
    assert result.kurtosis == pytest.approx(378 / 16.8**2)

    # Cronbach's alpha (KR-20): item variances (n − 1): i1 p = 4/6 → 4/15, i2 2/6 → 4/15,
    # i3 5/6 → 1/6, i4 3/6 → 3/10; Σ = (8 + 8 + 5 + 9)/30 = 1.
    # T = 4 3 3 2 2 0, mean 7/3: Σ(T − T̄)² = 42 − 6 · 49/9 = 28/3, var T = 28/15.
    # α = 4/3 · (1 − 1 / (28/15)) = 4/3 · 13/28 = 13/21 = 0.619048
    assert result.alpha == pytest.approx(13 / 21)
    assert result.alpha_items == 4
    # error ratio = 100 √(1 − 13/21) = 100 √(8/21) = 61.721340
    assert result.error_ratio == pytest.approx(100 * math.sqrt(8 / 21))
    # standard error = 0.617213 × 34.156503 = 21.081851
    assert result.standard_error == pytest.approx(math.sqrt(8 / 21) * 25 / 3 * math.sqrt(84 / 5))
    assert result.standard_error == pytest.approx(21.081851, abs=1e-6)


def test_item_statistics_worked_by_hand():
    # The rest-of-test score X is the other three items (Moodle's T − x); the module keeps
    # it in per cent (100 (T − x) / 3), which leaves correlations and their ratios unchanged.
    items = {item.key: item for item in item_analysis(SIX, min_responses=1).items}
    assert list(items) == ["i1", "i2", "i3", "i4"]
    assert all(item.n == 6 for item in items.values())

    # i1: x = 1 1 1 0 1 0, X = 3 2 2 2 1 0. x̄ = 2/3, X̄ = 10/6 = 5/3.
    # Facility 66.667 %; SD = √(4/15) = 0.516398 → 51.6398 %.
    # Σ(x − x̄)² = 4 − 6 · 4/9 = 4/3; Σ(X − X̄)² = 22 − 6 · 25/9 = 16/3;
    # Σ(x − x̄)(X − X̄) = ΣxX − n x̄ X̄ = 8 − 6 · 2/3 · 5/3 = 4/3.
    # r = (4/3) / √(4/3 · 16/3) = (4/3) / (8/3) = 0.5 → 50 %.
    # Sorted: x 0 0 1 1 1 1, X 0 1 2 2 2 3 → ΣxX = 9 → max = 9 − 20/3 = 7/3;
    # efficiency = (4/3) / (7/3) = 4/7 → 57.142857 %
    i1 = items["i1"]
    assert i1.facility == pytest.approx(200 / 3)
    assert i1.sd == pytest.approx(100 * math.sqrt(4 / 15))
    assert i1.discrimination == pytest.approx(50)
    assert i1.efficiency == pytest.approx(400 / 7)

    # i2: x = 1 0 1 0 0 0, X = 3 3 2 2 2 0. x̄ = 1/3, X̄ = 2.
    # Σ(x − x̄)² = 2 − 6/9 = 4/3; Σ(X − X̄)² = 30 − 24 = 6; ΣxX = 5 → sxy = 5 − 6 · 2/3 = 1.
    # r = 1 / √(4/3 · 6) = 1 / √8 = 0.353553. Sorted: x 0 0 0 0 1 1, X 0 2 2 2 3 3 → ΣxX = 6
    # → max = 6 − 4 = 2; efficiency = 1/2.
    i2 = items["i2"]
    assert i2.facility == pytest.approx(100 / 3)
    assert i2.discrimination == pytest.approx(100 / math.sqrt(8))
    assert i2.efficiency == pytest.approx(50)

    # i3: x = 1 1 1 1 1 0, X = 3 2 2 1 1 0. x̄ = 5/6, X̄ = 3/2.
    # Σ(x − x̄)² = 5 − 6 · 25/36 = 5/6; Σ(X − X̄)² = 19 − 6 · 9/4 = 11/2; ΣxX = 9 →
    # sxy = 9 − 6 · 5/6 · 3/2 = 3/2. r = 1.5 / √(5/6 · 11/2) = 1.5 / 2.140872 = 0.700649.
    # The pairing is already sorted → max = 3/2, efficiency = 100 %. SD = √(1/6) → 40.8248 %.
    i3 = items["i3"]
    assert i3.facility == pytest.approx(500 / 6)
    assert i3.sd == pytest.approx(100 * math.sqrt(1 / 6))
    assert i3.discrimination == pytest.approx(150 / math.sqrt(55 / 12))
    assert i3.discrimination == pytest.approx(70.0649, abs=1e-4)
    assert i3.efficiency == pytest.approx(100)

    # i4: x = 1 1 0 1 0 0, X = 3 2 3 1 2 0. x̄ = 1/2, X̄ = 11/6.
    # Σ(x − x̄)² = 3/2; Σ(X − X̄)² = 27 − 6 · 121/36 = 41/6; ΣxX = 6 → sxy = 6 − 5.5 = 1/2.
    # r = 0.5 / √(3/2 · 41/6) = 0.5 / 3.201562 = 0.156174 → weak (< 20 %).
    # Sorted: x 0 0 0 1 1 1, X 0 1 2 2 3 3 → ΣxX = 8 → max = 8 − 5.5 = 5/2; eff = 1/5.
    i4 = items["i4"]
    assert i4.facility == pytest.approx(50)
    assert i4.sd == pytest.approx(100 * math.sqrt(3 / 10))
    assert i4.discrimination == pytest.approx(50 / math.sqrt(41 / 4))
    assert i4.efficiency == pytest.approx(20)

    assert [item.flags for item in items.values()] == [(), (), (), ("weak-discrimination",)]


def test_item_flags_and_their_thresholds():
    # With the default minimum of 10 responses, six attempts are "few-responses".
    items = item_analysis(SIX).items
    assert all("few-responses" in item.flags for item in items)
    # i3 (83.3 %) is too easy above 80; i2 (33.3 %) too hard below 40.
    items = item_analysis(SIX, easy=80, hard=40, weak=0, min_responses=6).items
    assert [item.flags for item in items] == [(), ("too-hard",), ("too-easy",), ()]


def test_an_item_everyone_got_right_has_no_discrimination():
    attempts = [
        {"easy": 1, "a": 1, "b": 1},
        {"easy": 1, "a": 1, "b": 0},
        {"easy": 1, "a": 0, "b": 0},
    ]
    easy = item_analysis(attempts).items[0]
    assert easy.facility == 100
    assert easy.sd == 0
    assert easy.discrimination is None  # var x = 0: the correlation is 0/0
    assert easy.efficiency is None
    assert easy.flags == ("too-easy", "few-responses")


def test_negative_discrimination():
    # "odd" is right only for the two weakest learners: with two items, X is the other item,
    # x = 0 0 1 1 against X = 1 1 0 0 → r = −1 → −100 %.
    attempts = [
        {"odd": 0, "fine": 1},
        {"odd": 0, "fine": 1},
        {"odd": 1, "fine": 0},
        {"odd": 1, "fine": 0},
    ]
    odd = item_analysis(attempts, min_responses=1).items[0]
    assert odd.discrimination == pytest.approx(-100)
    assert odd.efficiency == pytest.approx(-100)  # cov / max cov = −1/1
    assert odd.flags == ("negative-discrimination",)


def test_item_analysis_with_items_drawn_at_random():
    # q1 and q2 are in every attempt; q3 and q4 were drawn for two attempts each.
    attempts = [
        {"q1": 1, "q2": 1, "q3": 1},
        {"q1": 1, "q2": 0, "q4": 1},
        {"q1": 0, "q2": 0, "q3": 0},
        {"q1": 1, "q2": 1, "q4": 0},
    ]
    result = item_analysis(attempts)
    # Totals: 3/3 = 100, 2/3 = 66.67, 0, 66.67 per cent of the items each attempt was given.
    assert result.mean == pytest.approx((100 + 200 / 3 + 0 + 200 / 3) / 4)
    items = {item.key: item for item in result.items}
    assert (items["q1"].n, items["q3"].n, items["q4"].n) == (4, 2, 2)
    # q3: x = 1, 0 against rests (1 + 1)/2 = 100 and 0 → r = 100 %.
    assert items["q3"].discrimination == pytest.approx(100)
    # Alpha over q1 and q2 only: var q1 (1 1 0 1) = (3/16 + 9/16)/3 = 1/4;
    # var q2 (1 0 0 1) = 1/3; sums 2 1 0 2, mean 5/4 → (9 + 1 + 25 + 9)/16 / 3 = 11/12;
    # α = 2 · (1 − (1/4 + 1/3) / (11/12)) = 2 · (1 − 7/11) = 8/11
    assert result.alpha_items == 2
    assert result.alpha == pytest.approx(8 / 11)


def test_alpha_needs_two_common_items():
    attempts = [{"q1": 1, "q2": 1}, {"q1": 0, "q3": 1}, {"q1": 1, "q4": 0}]
    result = item_analysis(attempts)
    assert result.alpha_items == 1
    assert (result.alpha, result.error_ratio, result.standard_error) == (None, None, None)


def test_item_analysis_of_nothing_and_of_one_attempt():
    empty = item_analysis([])
    assert (empty.n, empty.mean, empty.median, empty.sd, empty.alpha) == (0, None, None, None, None)
    assert empty.items == ()
    one = item_analysis([{"a": 1, "b": 0.5}, {}])  # the empty attempt is ignored
    assert one.n == 1
    assert one.mean == 75
    assert (one.sd, one.skewness, one.alpha) == (None, None, None)
    assert [(item.key, item.sd, item.discrimination) for item in one.items] == [
        ("a", None, None),
        ("b", None, None),
    ]


def test_alpha_is_none_when_totals_do_not_vary():
    # Totals 1 and 1: var T = 0, α = … / 0 is undefined.
    result = item_analysis([{"a": 1, "b": 0}, {"a": 0, "b": 1}])
    assert result.alpha is None
    assert result.sd == 0


def test_item_analysis_refuses_fractions_outside_0_to_1():
    with pytest.raises(ValueError, match="fraction"):
        item_analysis([{"a": 1.5}])


# --------------------------------------------------------------------------------------------
# 5. Differential item functioning
# --------------------------------------------------------------------------------------------


def test_mantel_haenszel_worked_by_hand():
    # Two strata, (A right, A wrong, B right, B wrong), 20 learners each:
    #   stratum 1: 8 2 4 6     R1 = 8·6/20 = 2.4   S1 = 2·4/20 = 0.4
    #   stratum 2: 9 1 6 4     R2 = 9·4/20 = 1.8   S2 = 1·6/20 = 0.3
    # α_MH = (2.4 + 1.8) / (0.4 + 0.3) = 4.2 / 0.7 = 6
    # D-DIF = −2.35 ln 6 = −2.35 × 1.791759 = −4.210634
    mh = mantel_haenszel([(8, 2, 4, 6), (9, 1, 6, 4)])
    assert mh.strata == 2
    assert mh.alpha == pytest.approx(6)
    assert mh.d_dif == pytest.approx(-2.35 * math.log(6))
    # Robins–Breslow–Greenland: P1 = 14/20 = 0.7, Q1 = 0.3; P2 = 13/20 = 0.65, Q2 = 0.35
    #   ΣPR = 0.7·2.4 + 0.65·1.8 = 2.85          → 2.85 / (2 · 4.2²) = 0.0807823
    #   Σ(PS + QR) = 0.28 + 0.72 + 0.195 + 0.63 = 1.825 → 1.825 / (2 · 4.2 · 0.7) = 0.3103741
    #   ΣQS = 0.3·0.4 + 0.35·0.3 = 0.225        → 0.225 / (2 · 0.7²) = 0.2295918
    #   var ln α = 0.6207483 → SE(D) = 2.35 √0.6207483 = 1.851509
    variance = 2.85 / 35.28 + 1.825 / 5.88 + 0.225 / 0.98
    assert mh.d_dif_se == pytest.approx(2.35 * math.sqrt(variance))
    assert mh.d_dif_se == pytest.approx(1.851509, abs=1e-6)
    # Chi-square: E(A1) = 10·12/20 = 6, var = 10·10·12·8/(20²·19) = 1.263158;
    # E(A2) = 10·15/20 = 7.5, var = 10·10·15·5/(20²·19) = 0.986842; ΣA = 17, ΣE = 13.5,
    # Σvar = 2.25 → χ² = (|17 − 13.5| − 0.5)² / 2.25 = 9 / 2.25 = 4; p = P(χ²₁ ≥ 4) = 0.0455
    assert mh.chi_square == pytest.approx(4)
    assert mh.p_value == pytest.approx(0.0455003, abs=1e-7)
    # |D| = 4.21 ≥ 1.5, p < 0.05 and (4.21 − 1) / 1.85 = 1.73 > 1.645 → C
    assert ets_class(mh) == "C"


def _mh(d_dif: float | None, se: float | None, p: float | None, r: float = 1, s: float = 1):
    return MantelHaenszel(1, None, d_dif, se, None, p, r, s)


@pytest.mark.parametrize(
    ("mh", "significance", "expected"),
    [
        (_mh(-0.8, 0.2, 0.001), True, "A"),  # |D| < 1
        (_mh(-2.0, 0.3, 0.20), True, "A"),  # not significant
        (_mh(-1.2, 0.3, 0.01), True, "B"),  # 1 ≤ |D| < 1.5
        (_mh(1.6, 0.9, 0.01), True, "B"),  # (1.6 − 1) / 0.9 = 0.67: not above 1 for sure
        (_mh(1.6, 0.9, 0.01), False, "C"),  # size rules only
        (_mh(-2.0, 0.3, 0.001), True, "C"),  # (2 − 1) / 0.3 = 3.3 > 1.645
        (_mh(-2.0, 0.3, 0.20), False, "C"),
        (_mh(None, None, 0.001, r=3, s=0), True, "C"),  # α infinite: A always right
        (_mh(None, None, 0.30, r=3, s=0), True, "A"),
        (_mh(None, None, None, r=0, s=0), True, None),  # no information
    ],
)
def test_ets_classes(mh, significance, expected):
    assert ets_class(mh, significance=significance) == expected


CLEAN = ["q1", "q2", "q3", "q4", "q5"]


def _version(right_on_q6: int) -> list[dict[str, float]]:
    """40 learners: ten at each of 1..4 right on the five clean items (a rotating window of
    items, so each clean item is answered the same way in both versions at each level);
    ``right_on_q6`` of each ten answer q6 right."""
    attempts = []
    for level in range(1, 5):
        for learner in range(10):
            right = {CLEAN[(learner + j) % 5] for j in range(level)}
            attempt = {item: 1.0 if item in right else 0.0 for item in CLEAN}
            attempt["q6"] = 1.0 if learner < right_on_q6 else 0.0
            attempts.append(attempt)
    return attempts


def test_translation_dif_finds_the_item_that_got_harder():
    # Version B of q6 is much harder for equally able learners: in every stratum of the rest
    # score (1..4 right on q1..q5), 7 of 10 get it right in A but only 2 of 10 in B.
    # Each stratum: R = 7·8/20 = 2.8, S = 3·2/20 = 0.3 → α = 4 · 2.8 / (4 · 0.3) = 9.333;
    # D-DIF = −2.35 ln 9.333 = −2.35 × 2.233592 = −5.248941 → class C.
    results = {item.key: item for item in translation_dif(_version(7), _version(2), min_n=20)}
    assert list(results) == [*CLEAN, "q6"]
    q6 = results["q6"]
    assert (q6.n_a, q6.n_b) == (40, 40)
    assert q6.facility_a == pytest.approx(70)
    assert q6.facility_b == pytest.approx(20)
    assert q6.facility_difference == pytest.approx(50)
    assert q6.alpha_mh == pytest.approx(28 / 3)
    assert q6.d_dif == pytest.approx(-2.35 * math.log(28 / 3))
    assert q6.ets_class == "C"
    assert q6.flags == ("differs-in-translation",)
    # The clean items: same facility, negligible DIF.
    for key in CLEAN:
        assert results[key].facility_difference == pytest.approx(0)
        assert results[key].d_dif is not None
        assert abs(results[key].d_dif) < 1
        assert results[key].ets_class == "A"
        assert results[key].flags == ()


def test_translation_dif_needs_enough_responses():
    results = translation_dif(_version(7)[:15], _version(2), min_n=20)
    assert all(item.flags == ("too-few-to-compare",) for item in results)
    assert all(item.ets_class is None and item.mh is None for item in results)
    assert results[0].n_a == 15
    # An item only one version has cannot be compared either.
    only = translation_dif([{"x": 1}], [{"y": 0}], min_n=1)[0]
    assert only.key == "x"
    assert only.n_b == 0
    assert only.facility_b is None
    assert only.flags == ("too-few-to-compare",)


def test_translation_dif_without_information():
    # Everyone right in both versions: every stratum has S = R = 0 and no variance.
    everyone = [{"a": 1, "b": 1}] * 3
    (a, _) = translation_dif(everyone, everyone, min_n=3)
    assert a.ets_class is None
    assert a.flags == ("no-information",)


def test_translation_dif_counts_half_marks_as_right():
    # Fractions ≥ 0.5 are right: 0.5 and 0.75 in A are right, 0.4 in B is wrong.
    a = [{"q": 0.5, "r": 1}, {"q": 0.75, "r": 1}]
    b = [{"q": 0.4, "r": 1}, {"q": 0.0, "r": 1}]
    (q, _) = translation_dif(a, b, min_n=2, significance=False)
    assert q.mh is not None
    assert (q.mh.numerator, q.mh.denominator) == (pytest.approx(2 * 2 / 4), 0)


# --------------------------------------------------------------------------------------------
# 6. Tags
# --------------------------------------------------------------------------------------------


def test_by_tag_averages_item_facilities():
    # Facilities from the worked example: i1 66.67, i2 33.33, i3 83.33, i4 50.
    # m1 = (66.67 + 33.33)/2 = 50; m2 = (83.33 + 50)/2 = 66.67; lo-2 = 33.33; m3: never given.
    tags = {"i1": ["m1"], "i2": ["m1", "lo-2"], "i3": ["m2"], "i4": ["m2"], "i9": ["m3"]}
    results = {tag.tag: tag for tag in by_tag(SIX, tags)}
    assert list(results) == ["lo-2", "m1", "m2", "m3"]
    assert results["m1"].mean_facility == pytest.approx(50)
    assert results["m1"].items == ("i1", "i2")
    assert results["m1"].responses == 12
    assert results["m2"].mean_facility == pytest.approx(200 / 3)
    assert results["lo-2"].mean_facility == pytest.approx(100 / 3)
    assert results["m3"].mean_facility is None
    assert results["m3"].items == ()


def test_tag_gain_over_matched_learners():
    pre = {
        "L1": {"i1": 0, "i2": 1, "i3": 0},
        "L2": {"i1": 1, "i2": 0, "i3": 0},
        "L3": {"i1": 1, "i2": 1, "i3": 1},  # no post-test: left out
    }
    post = {
        "L1": {"i1": 1, "i2": 1, "i3": 1},
        "L2": {"i1": 1, "i2": 0, "i3": 0},
        "L4": {"i1": 0, "i2": 0, "i3": 0},  # no pre-test: left out
    }
    tags = {"i1": ["m1"], "i2": ["m1"], "i3": ["m2"]}
    results = {tag.tag: tag for tag in tag_gain(pre, post, tags)}
    # m1: L1 50 → 100, L2 50 → 50: means 50 → 75, gain 25, ⟨g⟩ = 25/50 = 0.5
    assert results["m1"].n == 2
    assert (results["m1"].mean_pre, results["m1"].mean_post) == (50, 75)
    assert results["m1"].mean_gain == 25
    assert results["m1"].class_average_g == pytest.approx(0.5)
    # m2: L1 0 → 100, L2 0 → 0: means 0 → 50, ⟨g⟩ = 50/100 = 0.5
    assert (results["m2"].mean_pre, results["m2"].mean_post) == (0, 50)
    assert results["m2"].class_average_g == pytest.approx(0.5)


def test_tag_gain_needs_the_tag_in_both_tests():
    # Pre gave L1 no item of m2, so L1 does not count for m2.
    results = tag_gain({"L1": {"i1": 1}}, {"L1": {"i1": 1, "i3": 1}}, {"i1": ["m1"], "i3": ["m2"]})
    assert [(tag.tag, tag.n, tag.mean_pre) for tag in results] == [("m1", 1, 100), ("m2", 0, None)]
    assert results[0].class_average_g is None  # mean pre 100: nothing left to gain
