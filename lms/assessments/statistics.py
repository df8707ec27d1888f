"""Statistics of pre-tests and post-tests: knowledge gain, item analysis, translation DIF.

Pure: standard library only, no Flask, no database, no I/O. Frozen dataclasses come out,
so a report page, an export or the API can show them as they are.

Conventions used throughout:

* A *score* is a percentage in 0..100 (a learner's pre-test or post-test result).
* An *attempt* is a mapping item key → fraction in 0..1 (the item's score as a share of its
  maximum) over the items that attempt was given. Items drawn at random mean attempts may
  hold different subsets of the bank; every function below says how it treats that.
* Every item weighs the same: an attempt's total is the mean of its fractions, in per cent.
* *Undefined* statistics are ``None``, never an exception and never ``nan``: an empty group,
  a single learner (no spread), a spread of zero (no t, no effect size), a learner who
  scored 100 on the pre-test (no normalised gain), an item everyone got right (no
  discrimination). Invalid input (a score outside 0..100, a fraction outside 0..1, a NaN)
  raises :class:`ValueError`.

The parts, in the order a report uses them:

1. :func:`learner_gain` — one learner's raw and normalised gain.
2. :func:`group_gain` — a cohort's matched pairs: means, Hake's ⟨g⟩, shares improved /
   above a threshold / passed, the paired t-test with its confidence interval, Cohen's
   d_z and d_av, and a Wilcoxon signed-rank test.
3. :func:`t_cdf`, :func:`t_two_sided_p`, :func:`t_quantile` — Student's t distribution,
   computed with the regularised incomplete beta function
   (:func:`regularised_incomplete_beta`).
4. :func:`item_analysis` — Moodle's quiz statistics: facility, SD, discrimination index,
   discriminative efficiency per item; mean, median, SD, skewness, kurtosis, Cronbach's
   alpha, error ratio and standard error per test.
5. :func:`translation_dif` — differential item functioning between two language versions
   of the same items (Mantel–Haenszel, ETS A/B/C); :func:`mantel_haenszel` and
   :func:`ets_class` are its building blocks.
6. :func:`by_tag` and :func:`tag_gain` — facility and pre/post gain per module or learning
   objective.

Everything runs in a few linear passes over the data (plus one sort per item for the
discriminative efficiency): 10 000 attempts × 30 items take about half a second on one core.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

#: Below this many matched pairs a report should warn that the figures are fragile.
SMALL_SAMPLE = 10

#: An item key (a question id or key); any hashable value.
ItemKey = Hashable
#: One attempt: item key → fraction in 0..1, for the items the attempt was given.
Attempt = Mapping[Hashable, float]

_STANDARD_NORMAL = NormalDist()
#: From this many degrees of freedom on, the normal distribution stands in for Student's t:
#: quantiles differ by about (z³ + z) / (4 df), below 1e-6 even six SDs out.
_NORMAL_DF = 1e8


# --------------------------------------------------------------------------------------------
# Small numeric helpers
# --------------------------------------------------------------------------------------------


def _check_score(value: float, what: str) -> float:
    """``value`` as a float, if it is a finite percentage in 0..100."""
    number = float(value)
    if not 0.0 <= number <= 100.0:  # also refuses NaN, which compares false
        raise ValueError(f"{what} must be a percentage in 0..100, not {value!r}")
    return number


def _check_attempt(attempt: Attempt) -> dict[Hashable, float]:
    """A checked copy of an attempt: every fraction a finite number in 0..1."""
    checked: dict[Hashable, float] = {}
    for key, value in attempt.items():
        number = float(value)
        if not 0.0 <= number <= 1.0:  # also refuses NaN
            raise ValueError(f"item {key!r}: a fraction must be in 0..1, not {value!r}")
        checked[key] = number
    return checked


def _mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean Σx / n (None when there are no values)."""
    return math.fsum(values) / len(values) if values else None


def _variance(values: Sequence[float]) -> float | None:
    """The sample variance s² = Σ(x − x̄)² / (n − 1); None for fewer than two values.

    Exactly 0.0 when every value is the same, so callers can test for "no spread" without
    a tolerance (a rounded mean would otherwise leave a residue of about 1e-32).
    """
    n = len(values)
    if n < 2:
        return None
    if min(values) == max(values):
        return 0.0
    mean = math.fsum(values) / n
    deviations = [x - mean for x in values]
    return math.fsum(map(operator.mul, deviations, deviations)) / (n - 1)


def _sd(values: Sequence[float]) -> float | None:
    """The sample standard deviation s = √s² (None for fewer than two values)."""
    variance = _variance(values)
    return None if variance is None else math.sqrt(variance)


def _percent(count: int, total: int) -> float | None:
    """``count`` as a percentage of ``total`` (None when the total is 0)."""
    return 100.0 * count / total if total else None


def _median(values: Sequence[float]) -> float | None:
    """The middle value of the sorted values (the mean of the two middle ones for even n)."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _skewness_kurtosis(values: Sequence[float]) -> tuple[float | None, float | None]:
    """Skewness and excess kurtosis from the unbiased k-statistics, as Moodle reports them.

    With the central moments m_r = Σ(x − x̄)^r / n::

        k2 = n / (n − 1) · m2
        k3 = n² / ((n − 1)(n − 2)) · m3
        k4 = n² / ((n − 1)(n − 2)(n − 3)) · ((n + 1) m4 − 3 (n − 1) m2²)
        skewness = k3 / k2^(3/2)          (needs n ≥ 3)
        kurtosis = k4 / k2²               (needs n ≥ 4; 0 for a normal distribution)

    Both are None when the scores do not vary.
    """
    n = len(values)
    if n < 3 or min(values) == max(values):
        return None, None
    mean = math.fsum(values) / n
    deviations = [x - mean for x in values]
    m2 = math.fsum(d * d for d in deviations) / n
    m3 = math.fsum(d**3 for d in deviations) / n
    m4 = math.fsum(d**4 for d in deviations) / n
    k2 = n / (n - 1) * m2
    k3 = n * n / ((n - 1) * (n - 2)) * m3
    skewness = k3 / k2**1.5
    if n < 4:
        return skewness, None
    k4 = n * n / ((n - 1) * (n - 2) * (n - 3)) * ((n + 1) * m4 - 3 * (n - 1) * m2 * m2)
    return skewness, k4 / (k2 * k2)


# --------------------------------------------------------------------------------------------
# Student's t distribution
# --------------------------------------------------------------------------------------------

_TINY = 1e-300
_EPSILON = 1e-15
_MAX_TERMS = 100_000


def _lentz(terms: Iterable[tuple[float, float]]) -> float:
    """The value of the continued fraction a1 / (b1 + a2 / (b2 + a3 / (b3 + …))).

    Modified Lentz method: the convergents f_j are built as f_j = f_(j−1) · C_j · D_j with
    C_j = b_j + a_j / C_(j−1) and D_j = 1 / (b_j + a_j D_(j−1)), nudging zeros to a tiny
    number; it stops when C_j D_j is 1 to within 1e-15.
    """
    value = _TINY  # f_0 = b_0 = 0, nudged
    c, d = value, 0.0
    for a, b in terms:
        d = b + a * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = b + a / c
        c = c if abs(c) > _TINY else _TINY
        value *= c * d
        if abs(c * d - 1.0) < _EPSILON:
            return value
    raise ArithmeticError("a continued fraction did not converge")


def _beta_fraction_terms(x: float, a: float, b: float) -> Iterable[tuple[float, float]]:
    """The terms of I_x(a, b) · a B(a, b) / (x^a (1 − x)^b) = 1 / (1 + d1 / (1 + d2 / …)).

    With m = 0, 1, 2, …::

        d(2m + 1) = −(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
        d(2m)     = m (b − m) x / ((a + 2m − 1)(a + 2m))

    The fraction converges quickly for x < (a + 1) / (a + b + 2).
    """
    yield 1.0, 1.0
    for m in range(_MAX_TERMS):
        if m:
            yield m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)), 1.0
        yield -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)), 1.0


def _stirling_remainder(x: float) -> float:
    """δ(x) = ln Γ(x) − ((x − ½) ln x − x + ½ ln 2π) ≈ 1/(12x) − 1/(360x³) + 1/(1260x⁵) − …"""
    inverse = 1.0 / x
    square = inverse * inverse
    return inverse * (1 / 12 - square * (1 / 360 - square * (1 / 1260 - square / 1680)))


def _log_beta(a: float, b: float) -> float:
    """ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).

    When one argument is large, ln Γ(big + small) − ln Γ(big) is a small difference of two
    huge numbers; it is then computed from Stirling's series instead, as
    (big − ½) ln(1 + small/big) + small · ln(big + small) − small + δ(big + small) − δ(big),
    which keeps t probabilities accurate for millions of degrees of freedom.
    """
    small, big = min(a, b), max(a, b)
    if big < 1000.0:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    rise = (
        (big - 0.5) * math.log1p(small / big)
        + small * math.log(big + small)
        - small
        + _stirling_remainder(big + small)
        - _stirling_remainder(big)
    )
    return math.lgamma(small) - rise


def _incomplete_beta(x: float, y: float, a: float, b: float) -> float:
    """I_x(a, b), given both x and y = 1 − x (so callers can pass y without rounding)."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    # The factor x^a (1 − x)^b / B(a, b), in logarithms to avoid overflow; log1p keeps the
    # digits of ln x when x is close to 1 (t close to 0, or many degrees of freedom).
    log_x = math.log(x) if x < 0.5 else math.log1p(-y)
    log_y = math.log(y) if y < 0.5 else math.log1p(-x)
    log_front = a * log_x + b * log_y - _log_beta(a, b)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _lentz(_beta_fraction_terms(x, a, b)) / a
    return 1.0 - math.exp(log_front) * _lentz(_beta_fraction_terms(y, b, a)) / b


def regularised_incomplete_beta(x: float, a: float, b: float) -> float:
    """The regularised incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b).

    B(x; a, b) = ∫₀ˣ t^(a−1) (1 − t)^(b−1) dt, and B(a, b) = B(1; a, b), so I runs from 0 at
    x = 0 to 1 at x = 1. Computed as x^a (1 − x)^b / (a B(a, b)) times a continued fraction
    (Lentz's method), using I_x(a, b) = 1 − I_(1−x)(b, a) where the fraction would converge
    slowly. Accurate to about 1e-14 in absolute terms.
    """
    if not (a > 0 and b > 0):
        raise ValueError("a and b must be positive")
    if not 0.0 <= x <= 1.0:
        raise ValueError("x must be in 0..1")
    return _incomplete_beta(x, 1.0 - x, a, b)


def _check_df(df: float) -> float:
    number = float(df)
    if not number > 0:  # also refuses NaN
        raise ValueError(f"degrees of freedom must be positive, not {df!r}")
    return number


def _t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t ≥ 0: half of I_x(df/2, 1/2) with x = df / (df + t²)."""
    if df >= _NORMAL_DF:
        return math.erfc(t / math.sqrt(2)) / 2
    if math.isinf(t):
        return 0.0
    # x = df / (df + t²) and y = 1 − x, written so that neither t² nor df / t² overflows.
    if t * t <= df:
        square = t * t
        x, y = df / (df + square), square / (df + square)
    else:
        ratio = df / t / t  # df / t² < 1
        x, y = ratio / (1.0 + ratio), 1.0 / (1.0 + ratio)
    return 0.5 * _incomplete_beta(x, y, df / 2, 0.5)


def t_cdf(t: float, df: float) -> float:
    """Student's t cumulative distribution function P(T ≤ t) with ``df`` degrees of freedom.

    For t ≥ 0, P(T > t) = ½ I_x(df/2, ½) with x = df / (df + t²) (the regularised incomplete
    beta function), and P(T ≤ t) = 1 − P(T > t); for t < 0 the symmetry P(T ≤ t) =
    P(T > −t) applies. ``df`` may be any positive number (``math.inf`` gives the normal
    distribution). t_cdf(0, df) = 0.5.
    """
    df = _check_df(df)
    if math.isnan(t):
        raise ValueError("t must be a number")
    if t < 0:
        return _t_upper_tail(-t, df)
    return 1.0 - _t_upper_tail(t, df)


def t_two_sided_p(t: float, df: float) -> float:
    """The two-sided p-value P(|T| ≥ |t|) = I_x(df/2, ½) with x = df / (df + t²).

    Computed directly from the tail (not as 1 − CDF), so small p-values keep their digits.
    """
    df = _check_df(df)
    if math.isnan(t):
        raise ValueError("t must be a number")
    return min(1.0, 2.0 * _t_upper_tail(abs(t), df))


def _t_density(t: float, df: float) -> float:
    """The density Γ((ν+1)/2) / (√(νπ) Γ(ν/2)) · (1 + t²/ν)^(−(ν+1)/2), ν = df."""
    if df >= _NORMAL_DF:
        return math.exp(-t * t / 2) / math.sqrt(2 * math.pi)
    log_density = (
        math.lgamma((df + 1) / 2)
        - math.lgamma(df / 2)
        - 0.5 * math.log(df * math.pi)
        - (df + 1) / 2 * math.log1p(t * t / df)
    )
    return math.exp(log_density)


def t_quantile(p: float, df: float) -> float:
    """The quantile (inverse CDF) of Student's t: the t with P(T ≤ t) = p, for 0 < p < 1.

    Solves P(T > t) = min(p, 1 − p) for t ≥ 0 by Newton's method on the tail (its
    derivative is minus the density), safeguarded by bisection inside a bracket that is
    widened until it holds the root; the answer is then mirrored for p < ½. It stops when
    a step is below 1e-12 of the value, far inside the 1e-6 that tables print. Reliable
    while |t| stays below about 1e150 (tail probabilities far beyond any report's needs).
    Examples: t_quantile(0.975, 9) = 2.262157, t_quantile(0.975, 1) = 12.706205.
    """
    df = _check_df(df)
    if not 0.0 < p < 1.0:
        raise ValueError("p must be strictly between 0 and 1")
    if p == 0.5:
        return 0.0
    tail = min(p, 1.0 - p)
    if df >= _NORMAL_DF:
        value = -_STANDARD_NORMAL.inv_cdf(tail)
        return value if p > 0.5 else -value
    low, high = 0.0, 1.0
    while _t_upper_tail(high, df) > tail:
        low, high = high, high * 2
    guess = min(max(-_STANDARD_NORMAL.inv_cdf(tail), low), high)
    for _ in range(200):
        excess = _t_upper_tail(guess, df) - tail  # > 0: the root lies to the right
        if excess > 0:
            low = guess
        else:
            high = guess
        density = _t_density(guess, df)
        step = excess / density if density > 0 else math.inf
        candidate = guess + step
        if not low < candidate < high:
            candidate = (low + high) / 2
            step = candidate - guess
        guess = candidate
        if abs(step) <= 1e-12 * max(1.0, guess) or high - low <= 1e-13 * max(1.0, high):
            break
    return guess if p > 0.5 else -guess


# --------------------------------------------------------------------------------------------
# 1. One learner's gain
# --------------------------------------------------------------------------------------------


def hake_band(g: float | None) -> str | None:
    """Hake's (1998) band of a normalised gain: "low" below 0.3, "medium" from 0.3 to 0.7,
    "high" above 0.7. A negative gain (a learner or group who lost ground) is "low".
    None when g is undefined.
    """
    if g is None:
        return None
    if g < 0.3:
        return "low"
    if g <= 0.7:
        return "medium"
    return "high"


@dataclass(frozen=True)
class LearnerGain:
    """One learner's pre-test and post-test scores (per cent) and the gain between them."""

    pre: float | None
    post: float | None
    #: Raw gain, post − pre, in percentage points; None unless both scores exist.
    gain: float | None
    #: Normalised gain g = (post − pre) / (100 − pre): the share of the possible improvement
    #: that was achieved. Negative when the learner lost ground. None when a score is
    #: missing, and when pre = 100 (there was nothing left to gain: 0/0 is undefined).
    normalised_gain: float | None
    #: :func:`hake_band` of the normalised gain.
    band: str | None


def learner_gain(pre: float | None, post: float | None) -> LearnerGain:
    """The gain of one learner from pre-test to post-test (scores in per cent).

    raw gain = post − pre; normalised gain g = (post − pre) / (100 − pre), undefined (None)
    when pre = 100. Example: pre 48, post 76 → gain 28, g = 28 / 52 ≈ 0.538 ("medium").
    A missing score (None) leaves gain and g None.
    """
    pre = None if pre is None else _check_score(pre, "the pre-test score")
    post = None if post is None else _check_score(post, "the post-test score")
    if pre is None or post is None:
        return LearnerGain(pre, post, None, None, None)
    gain = post - pre
    g = gain / (100.0 - pre) if pre < 100.0 else None
    return LearnerGain(pre, post, gain, g, hake_band(g))


# --------------------------------------------------------------------------------------------
# 2. A group's gain
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedRankTest:
    """Wilcoxon's signed-rank test of the gains, with the normal approximation.

    Zero gains are dropped (Wilcoxon's original treatment); the remaining |gain|s are ranked
    1..n with ties given their average rank. W+ is the sum of the ranks of positive gains.
    Under the null hypothesis (gains symmetric about 0), W+ has mean n(n + 1)/4 and variance
    n(n + 1)(2n + 1)/24 − Σ(t³ − t)/48 (t: the size of each group of tied |gain|s), and
    z = (W+ − mean) / √variance is compared with the standard normal, without a continuity
    correction (as ``scipy.stats.wilcoxon(method="approx")`` does by default). The
    approximation is rough below about 10 non-zero gains.
    """

    #: Learners whose gain is not zero (the ones the test uses).
    n_nonzero: int
    w_plus: float
    w_minus: float
    z: float
    p_value: float


def _signed_rank(gains: Sequence[float]) -> SignedRankTest | None:
    """Wilcoxon's signed-rank test of ``gains`` (None when every gain is zero)."""
    # |gain| rounded to 9 decimals, so that gains equal on paper (70.1 − 50.1 and 80.2 − 60.2)
    # are ties and zeros despite the rounding of binary floating point.
    nonzero = sorted((size, g > 0) for g in gains if (size := round(abs(g), 9)) != 0)
    n = len(nonzero)
    if n == 0:
        return None
    w_plus = 0.0
    ties = 0.0
    start = 0
    while start < n:
        end = start
        while end + 1 < n and nonzero[end + 1][0] == nonzero[start][0]:
            end += 1
        size = end - start + 1
        rank = (start + end) / 2 + 1  # the average of ranks start+1 .. end+1
        w_plus += rank * sum(1 for _, positive in nonzero[start : end + 1] if positive)
        ties += size**3 - size
        start = end + 1
    total = n * (n + 1) / 2
    mean = total / 2
    variance = n * (n + 1) * (2 * n + 1) / 24 - ties / 48
    # Even with every |gain| tied, variance = n(n+1)(2n+1)/24 − (n³ − n)/48 = n(n+1)²/16 > 0.
    z = (w_plus - mean) / math.sqrt(variance)
    p_value = min(1.0, math.erfc(abs(z) / math.sqrt(2)))
    return SignedRankTest(n, w_plus, total - w_plus, z, p_value)


@dataclass(frozen=True)
class GroupGain:
    """Knowledge gain of a group, over matched pairs (learners with both a pre and a post).

    Scores and gains are in per cent / percentage points; shares are percentages of n.
    Every field but ``n``, ``small_sample`` and the echoed settings is None when n = 0;
    standard deviations, t, p, the interval and effect sizes need n ≥ 2.
    """

    #: Matched pairs.
    n: int
    mean_pre: float | None
    mean_post: float | None
    #: Sample standard deviations (n − 1) of the pre and post scores.
    sd_pre: float | None
    sd_post: float | None
    #: Mean of the individual gains, which equals mean post − mean pre.
    mean_gain: float | None
    #: Sample standard deviation (n − 1) of the individual gains.
    sd_gain: float | None
    #: Hake's class-average normalised gain ⟨g⟩ = (mean post − mean pre) / (100 − mean pre).
    #: None when mean pre = 100.
    class_average_g: float | None
    #: :func:`hake_band` of ``class_average_g``.
    hake_band: str | None
    #: Mean of the individual g = (post − pre) / (100 − pre) over the learners with pre < 100
    #: (``n_individual_g`` of them). It differs from ⟨g⟩: it weighs every learner equally,
    #: whereas ⟨g⟩ weighs learners by the room they had to improve (100 − pre), and a
    #: learner close to 100 on the pre-test can swing it (a 99 → 95 learner has g = −4).
    mean_individual_g: float | None
    n_individual_g: int
    #: % of the learners with post > pre.
    percent_improved: float | None
    #: The threshold (points) and the % of learners whose gain is at least that.
    threshold: float
    percent_reached_threshold: float | None
    #: The pass mark (per cent) and the % of learners whose post score is at least that;
    #: None when no pass mark was given.
    pass_mark: float | None
    percent_passed: float | None
    #: Paired t-test of "mean gain = 0": t = mean gain / (sd gain / √n), df = n − 1, and
    #: the two-sided p-value. None when n < 2 or sd gain = 0 (t would be ±∞ or 0/0).
    t: float | None
    df: int | None
    p_value: float | None
    #: Confidence level and t-interval of the mean gain:
    #: mean gain ± t_((1 + confidence)/2, n − 1) · sd gain / √n. None when n < 2; when every
    #: gain is the same (sd gain = 0) the interval shrinks to that gain.
    confidence: float
    ci_low: float | None
    ci_high: float | None
    #: Cohen's d_z = mean gain / sd gain: the standardised mean of the paired differences
    #: (the effect size the paired t-test sees: t = d_z · √n). None when sd gain is 0.
    cohens_dz: float | None
    #: Cohen's d_av = mean gain / ((sd pre + sd post) / 2): the gain in units of the
    #: average spread of the scores, comparable with a between-groups d. None when both SDs
    #: are 0.
    cohens_dav: float | None
    #: Wilcoxon's signed-rank test (None when n = 0 or every gain is zero).
    wilcoxon: SignedRankTest | None
    #: True when n < :data:`SMALL_SAMPLE` (10): a page should warn the figures are fragile.
    small_sample: bool


def group_gain(
    pairs: Iterable[tuple[float, float]],
    *,
    threshold: float = 20.0,
    pass_mark: float | None = None,
    confidence: float = 0.95,
) -> GroupGain:
    """Knowledge gain of a group from its matched (pre, post) pairs, scores in per cent.

    Only learners with both scores belong in ``pairs``: callers drop the others (a learner
    who left before the post-test would otherwise bias the result; drop-outs are known to
    inflate g). See :class:`GroupGain` for each statistic and its formula.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be strictly between 0 and 1")
    if not math.isfinite(threshold):
        raise ValueError("the threshold must be a number of points")
    if pass_mark is not None:
        pass_mark = _check_score(pass_mark, "the pass mark")
    pre: list[float] = []
    post: list[float] = []
    for before, after in pairs:
        pre.append(_check_score(before, "a pre-test score"))
        post.append(_check_score(after, "a post-test score"))
    n = len(pre)
    small = n < SMALL_SAMPLE
    if n == 0:
        return GroupGain(
            n=0, mean_pre=None, mean_post=None, sd_pre=None, sd_post=None, mean_gain=None,
            sd_gain=None, class_average_g=None, hake_band=None, mean_individual_g=None,
            n_individual_g=0, percent_improved=None, threshold=threshold,
            percent_reached_threshold=None, pass_mark=pass_mark, percent_passed=None, t=None,
            df=None, p_value=None, confidence=confidence, ci_low=None, ci_high=None,
            cohens_dz=None, cohens_dav=None, wilcoxon=None, small_sample=True,
        )  # fmt: skip
    gains = [after - before for before, after in zip(pre, post, strict=True)]
    mean_pre = math.fsum(pre) / n
    mean_post = math.fsum(post) / n
    mean_gain = math.fsum(gains) / n
    sd_pre, sd_post, sd_gain = _sd(pre), _sd(post), _sd(gains)

    class_g = (mean_post - mean_pre) / (100.0 - mean_pre) if mean_pre < 100.0 else None
    individual = [g / (100.0 - b) for b, g in zip(pre, gains, strict=True) if b < 100.0]

    t = p_value = ci_low = ci_high = dz = dav = None
    df = None
    if sd_gain is not None:
        df = n - 1
        standard_error = sd_gain / math.sqrt(n)
        margin = t_quantile((1 + confidence) / 2, df) * standard_error
        ci_low, ci_high = mean_gain - margin, mean_gain + margin
        if sd_gain > 0:
            t = mean_gain / standard_error
            p_value = t_two_sided_p(t, df)
            dz = mean_gain / sd_gain
    if sd_pre is not None and sd_post is not None and sd_pre + sd_post > 0:
        dav = mean_gain / ((sd_pre + sd_post) / 2)

    return GroupGain(
        n=n,
        mean_pre=mean_pre,
        mean_post=mean_post,
        sd_pre=sd_pre,
        sd_post=sd_post,
        mean_gain=mean_gain,
        sd_gain=sd_gain,
        class_average_g=class_g,
        hake_band=hake_band(class_g),
        mean_individual_g=_mean(individual),
        n_individual_g=len(individual),
        percent_improved=_percent(sum(1 for g in gains if g > 0), n),
        threshold=threshold,
        percent_reached_threshold=_percent(sum(1 for g in gains if g >= threshold), n),
        pass_mark=pass_mark,
        percent_passed=(
            None if pass_mark is None else _percent(sum(1 for a in post if a >= pass_mark), n)
        ),
        t=t,
        df=df,
        p_value=p_value,
        confidence=confidence,
        ci_low=ci_low,
        ci_high=ci_high,
        cohens_dz=dz,
        cohens_dav=dav,
        wilcoxon=_signed_rank(gains),
        small_sample=small,
    )


# --------------------------------------------------------------------------------------------
# 4. Item analysis (Moodle's quiz statistics)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemStats:
    """Moodle-style statistics of one item, over the attempts that were given it.

    Let x be the item's fraction and X the attempt's *rest-of-test* score: the mean fraction
    of the other items the same attempt was given, in per cent (see :func:`item_analysis`).
    """

    key: ItemKey
    #: Attempts that were given the item.
    n: int
    #: Facility index: the mean of x, in per cent of the item's maximum.
    facility: float
    #: Standard deviation of x (sample, n − 1), in per cent of the item's maximum.
    #: None when n < 2.
    sd: float | None
    #: Discrimination index: the Pearson correlation of x with X, in per cent:
    #: 100 · cov(x, X) / √(var x · var X). None when either does not vary (an item everyone
    #: got right) or fewer than two attempts had other items.
    discrimination: float | None
    #: Discriminative efficiency: 100 · cov(x, X) / cov_max(x, X), where cov_max is the
    #: covariance after sorting the x's and the X's independently and pairing them rank by
    #: rank: the largest covariance those two sets of values allow. It tells how much of
    #: the attainable discrimination the item reaches. None when cov_max is 0.
    efficiency: float | None
    #: Among "too-easy", "too-hard", "negative-discrimination", "weak-discrimination",
    #: "few-responses" (see :func:`item_analysis`).
    flags: tuple[str, ...]


@dataclass(frozen=True)
class TestAnalysis:
    """Moodle-style statistics of a test: its total scores and each of its items.

    A total score is the attempt's mean fraction over the items it was given, in per cent.
    """

    __test__ = False  # not a pytest test class, despite its name

    #: Attempts analysed (those given at least one item).
    n: int
    mean: float | None
    median: float | None
    #: Sample standard deviation (n − 1) of the total scores.
    sd: float | None
    #: Skewness and excess kurtosis of the total scores (see :func:`_skewness_kurtosis`).
    skewness: float | None
    kurtosis: float | None
    #: Coefficient of internal consistency, Cronbach's alpha (0..1; Moodle shows it ×100):
    #: α = k / (k − 1) · (1 − Σ var(x_i) / var(T)), over the ``alpha_items`` items that
    #: every attempt was given, with T the sum of those items. For 0/1 items it equals
    #: KR-20. None when there are fewer than 2 such items or 2 attempts, or T does not vary.
    alpha: float | None
    #: The number of items alpha was computed over.
    alpha_items: int
    #: Error ratio: 100 · √(1 − α), in per cent: the share of the score spread that is
    #: measurement error.
    error_ratio: float | None
    #: Standard error of measurement: error ratio / 100 · SD of the total scores, in
    #: percentage points.
    standard_error: float | None
    items: tuple[ItemStats, ...]


def _covariance_sums(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """Σ(x − x̄)², Σ(y − ȳ)² and Σ(x − x̄)(y − ȳ) of paired values (at least one pair)."""
    n = len(xs)
    mean_x = math.fsum(xs) / n
    mean_y = math.fsum(ys) / n
    dx = [x - mean_x for x in xs]
    dy = [y - mean_y for y in ys]
    sxx = 0.0 if min(xs) == max(xs) else math.fsum(map(operator.mul, dx, dx))
    syy = 0.0 if min(ys) == max(ys) else math.fsum(map(operator.mul, dy, dy))
    sxy = math.fsum(map(operator.mul, dx, dy))
    return sxx, syy, sxy


def _discrimination(
    xs: Sequence[float], rests: Sequence[float]
) -> tuple[float | None, float | None]:
    """(discrimination index, discriminative efficiency) in per cent, or Nones."""
    if len(xs) < 2:
        return None, None
    sxx, syy, sxy = _covariance_sums(xs, rests)
    if sxx == 0.0 or syy == 0.0:
        return None, None
    index = 100.0 * sxy / math.sqrt(sxx * syy)
    # The maximum covariance: both lists sorted, paired rank by rank (same means, so the
    # centred sums compare directly; the 1/(n − 1) factors cancel in the ratio).
    _, _, best = _covariance_sums(sorted(xs), sorted(rests))
    efficiency = 100.0 * sxy / best if best > 0 else None
    return index, efficiency


def _item_flags(
    facility: float,
    discrimination: float | None,
    n: int,
    *,
    easy: float,
    hard: float,
    weak: float,
    min_responses: int,
) -> tuple[str, ...]:
    flags: list[str] = []
    if facility > easy:
        flags.append("too-easy")
    if facility < hard:
        flags.append("too-hard")
    if discrimination is not None:
        if discrimination < 0:
            flags.append("negative-discrimination")
        elif discrimination < weak:
            flags.append("weak-discrimination")
    if n < min_responses:
        flags.append("few-responses")
    return tuple(flags)


def item_analysis(
    attempts: Iterable[Attempt],
    *,
    easy: float = 90.0,
    hard: float = 20.0,
    weak: float = 20.0,
    min_responses: int = 10,
) -> TestAnalysis:
    """Moodle's quiz statistics of a set of attempts (first attempts, one per learner).

    Each attempt maps item key → fraction in 0..1, for the items it was given; attempts
    with no items are ignored. Items may be drawn at random, so attempts may hold different
    subsets of a bank:

    * Per item, the statistics run over the attempts that were given the item.
    * The rest-of-test score X of an attempt, for an item, is the mean fraction of the
      *other* items that attempt was given, in per cent: 100 · (S − x) / (m − 1), with S
      the attempt's sum and m its number of items. When every attempt has the same items,
      X is Moodle's rest-of-test mark (S − x) up to a fixed positive factor, so the
      correlation and the efficiency are exactly Moodle's; with random subsets of
      different sizes, the per-cent scale keeps attempts comparable. An attempt given only
      this item has no rest score and is left out of that item's discrimination.
    * Alpha needs the same items in every attempt: it is computed over the items every
      attempt was given (``alpha_items``). With wholly random draws there may be fewer than
      two such items, and alpha is None; a page should then say so rather than guess.
      The standard error then combines that alpha with the SD of the full totals.

    Flags (thresholds are keyword arguments): "too-easy" when facility > ``easy`` (90),
    "too-hard" when facility < ``hard`` (20), "negative-discrimination" when the
    discrimination index < 0, "weak-discrimination" when 0 ≤ index < ``weak`` (20; an item
    that hardly separates stronger from weaker learners), and "few-responses" when fewer
    than ``min_responses`` (10) attempts were given the item, a warning that the other
    flags may be chance.
    """
    kept: list[dict[Hashable, float]] = []
    sums: list[float] = []  # per attempt: the sum of its fractions
    sizes: list[int] = []  # per attempt: how many items it was given
    totals: list[float] = []  # per attempt: the total score in per cent
    #: Per item: its fractions, and the row (index in the lists above) of each.
    columns: dict[Hashable, tuple[list[float], list[int]]] = {}
    common: set[Hashable] | None = None
    for attempt in attempts:
        fractions = _check_attempt(attempt)
        m = len(fractions)
        if m == 0:
            continue
        row = len(kept)
        kept.append(fractions)
        total = math.fsum(fractions.values())
        sums.append(total)
        sizes.append(m)
        totals.append(100.0 * total / m)
        if common is None:
            common = set(fractions)
        else:
            common.intersection_update(fractions)
        for key, x in fractions.items():
            column = columns.get(key)
            if column is None:
                column = columns[key] = ([], [])
            column[0].append(x)
            column[1].append(row)

    items: list[ItemStats] = []
    for key, (values, rows) in columns.items():
        facility = 100.0 * math.fsum(values) / len(values)
        sd = _sd(values)
        # Rest-of-test scores, leaving out attempts that were given this item alone.
        pairs = [(x, row) for x, row in zip(values, rows, strict=True) if sizes[row] > 1]
        xs = [x for x, _ in pairs]
        rests = [100.0 * (sums[row] - x) / (sizes[row] - 1) for x, row in pairs]
        index, efficiency = _discrimination(xs, rests)
        flags = _item_flags(
            facility,
            index,
            len(values),
            easy=easy,
            hard=hard,
            weak=weak,
            min_responses=min_responses,
        )
        items.append(
            ItemStats(key, len(values), facility, None if sd is None else 100.0 * sd, index,
                      efficiency, flags)
        )  # fmt: skip

    # Alpha over the items every attempt was given, in first-seen order.
    shared = [key for key in columns if common and key in common]
    alpha = error_ratio = standard_error = None
    sd_total = _sd(totals)
    if len(shared) >= 2 and len(kept) >= 2:
        shared_sums = [
            total if len(fractions) == len(shared) else math.fsum(fractions[k] for k in shared)
            for fractions, total in zip(kept, sums, strict=True)
        ]
        variance_total = _variance(shared_sums)
        if variance_total:
            k = len(shared)
            item_variances = math.fsum(_variance(columns[key][0]) or 0.0 for key in shared)
            alpha = k / (k - 1) * (1.0 - item_variances / variance_total)
            error_ratio = 100.0 * math.sqrt(max(0.0, 1.0 - alpha))
            if sd_total is not None:
                standard_error = error_ratio / 100.0 * sd_total

    skewness, kurtosis = _skewness_kurtosis(totals)
    return TestAnalysis(
        n=len(totals),
        mean=_mean(totals),
        median=_median(totals),
        sd=sd_total,
        skewness=skewness,
        kurtosis=kurtosis,
        alpha=alpha,
        alpha_items=len(shared),
        error_ratio=error_ratio,
        standard_error=standard_error,
        items=tuple(items),
    )


# --------------------------------------------------------------------------------------------
# 5. Differential item functioning between two versions (Mantel–Haenszel)
# --------------------------------------------------------------------------------------------

#: -2.35 turns ln(odds ratio) into the ETS delta scale (delta = 13 + 4z; 4 / 1.7 ≈ 2.35).
_DELTA = -2.35
#: One-sided 5% point of the standard normal: "|D| significantly greater than 1".
_Z_ONE_SIDED_05 = 1.6448536269514722


@dataclass(frozen=True)
class MantelHaenszel:
    """The Mantel–Haenszel statistics of a set of 2×2 tables (one per score stratum).

    In stratum k, group A (the reference) has A_k right and B_k wrong, group B (the focal
    group) C_k right and D_k wrong, N_k learners in all. Strata with N_k < 2 carry no
    information and are skipped.
    """

    #: Strata used.
    strata: int
    #: Common odds ratio α_MH = Σ(A_k D_k / N_k) / Σ(B_k C_k / N_k): the odds of group A
    #: answering right, over those of group B, at equal ability. None when either sum is 0
    #: (the ratio is 0 or infinite, or there is no information at all).
    alpha: float | None
    #: MH D-DIF = −2.35 · ln α_MH, on the ETS delta scale. Negative: the item is harder for
    #: group B than for equally able learners of group A. None when α is None.
    d_dif: float | None
    #: Standard error of D-DIF: 2.35 · √var(ln α_MH), with the Robins–Breslow–Greenland
    #: variance estimate.
    d_dif_se: float | None
    #: MH chi-square (1 df, with the 0.5 continuity correction):
    #: (|Σ A_k − Σ E(A_k)| − ½)² / Σ var(A_k), E(A_k) = n_Ak m_1k / N_k,
    #: var(A_k) = n_Ak n_Bk m_1k m_0k / (N_k² (N_k − 1)); and its p-value. None when no
    #: stratum has both groups and both outcomes.
    chi_square: float | None
    p_value: float | None
    #: Σ(A_k D_k / N_k) and Σ(B_k C_k / N_k), the numerator and denominator of α_MH.
    numerator: float
    denominator: float


def mantel_haenszel(tables: Iterable[tuple[float, float, float, float]]) -> MantelHaenszel:
    """Mantel–Haenszel statistics of 2×2 tables ``(A right, A wrong, B right, B wrong)``.

    See :class:`MantelHaenszel` for the formulas. The variance of ln α_MH (Robins, Breslow
    and Greenland, 1986), with P_k = (A_k + D_k)/N_k, Q_k = (B_k + C_k)/N_k,
    R_k = A_k D_k / N_k, S_k = B_k C_k / N_k, R = ΣR_k and S = ΣS_k, is::

        var = Σ P_k R_k / (2R²) + Σ (P_k S_k + Q_k R_k) / (2RS) + Σ Q_k S_k / (2S²)
    """
    used = 0
    r_sum = s_sum = 0.0
    pr = prqs = qs = 0.0
    observed = expected = variance = 0.0
    for a, b, c, d in tables:
        n = a + b + c + d
        if n < 2:
            continue
        used += 1
        r = a * d / n
        s = b * c / n
        p = (a + d) / n
        q = (b + c) / n
        r_sum += r
        s_sum += s
        pr += p * r
        prqs += p * s + q * r
        qs += q * s
        n_a, n_b, right, wrong = a + b, c + d, a + c, b + d
        observed += a
        expected += n_a * right / n
        variance += n_a * n_b * right * wrong / (n * n * (n - 1))

    alpha = d_dif = d_dif_se = None
    if r_sum > 0 and s_sum > 0:
        alpha = r_sum / s_sum
        d_dif = _DELTA * math.log(alpha)
        log_variance = (
            pr / (2 * r_sum * r_sum) + prqs / (2 * r_sum * s_sum) + qs / (2 * s_sum * s_sum)
        )
        d_dif_se = -_DELTA * math.sqrt(log_variance)
    chi_square = p_value = None
    if variance > 0:
        chi_square = max(0.0, abs(observed - expected) - 0.5) ** 2 / variance
        p_value = math.erfc(math.sqrt(chi_square / 2))  # chi-square, 1 df, upper tail
    return MantelHaenszel(used, alpha, d_dif, d_dif_se, chi_square, p_value, r_sum, s_sum)


def ets_class(mh: MantelHaenszel, *, significance: bool = True) -> str | None:
    """The ETS DIF category of an item: "A" negligible, "B" moderate, "C" large.

    * A: |D-DIF| < 1, or (with ``significance``) the MH chi-square is not significant at 5%;
    * C: |D-DIF| ≥ 1.5 and (with ``significance``) |D-DIF| is significantly above 1:
      (|D| − 1) / SE(D) > 1.645, one-sided 5%;
    * B: everything else.

    Without ``significance`` only the size rules apply (for small samples, where the tests
    have little power, a page can still point at large differences).

    When α_MH is 0 or infinite (in every stratum one group is all right or the other all
    wrong) the difference is as large as it can be: the item is "C" if the chi-square is
    significant (or ``significance`` is off), else "A". None when there is no information
    at all (no stratum with both groups and both outcomes).
    """
    if mh.d_dif is None:
        if mh.numerator == 0 and mh.denominator == 0:
            return None
        if significance and (mh.p_value is None or mh.p_value >= 0.05):
            return "A"
        return "C"
    size = abs(mh.d_dif)
    if size < 1.0:
        return "A"
    if significance and (mh.p_value is None or mh.p_value >= 0.05):
        return "A"
    if size >= 1.5:
        if not significance:
            return "C"
        if mh.d_dif_se and (size - 1.0) / mh.d_dif_se > _Z_ONE_SIDED_05:
            return "C"
    return "B"


@dataclass(frozen=True)
class ItemDif:
    """How one item behaves in two versions of a test (e.g. English A, Russian B)."""

    key: ItemKey
    #: Attempts given the item in each version.
    n_a: int
    n_b: int
    #: Facility (mean fraction, per cent) in each version, and A − B in percentage points
    #: (not matched for ability: a plain comparison).
    facility_a: float | None
    facility_b: float | None
    facility_difference: float | None
    #: The Mantel–Haenszel statistics (None when too few responses).
    mh: MantelHaenszel | None
    #: Shortcuts into ``mh``.
    alpha_mh: float | None
    d_dif: float | None
    #: ETS category "A", "B" or "C"; None with too few responses or no information.
    ets_class: str | None
    #: "differs-in-translation" (class C), "too-few-to-compare", "no-information".
    flags: tuple[str, ...]


def translation_dif(
    group_a: Iterable[Attempt],
    group_b: Iterable[Attempt],
    *,
    min_n: int = 30,
    significance: bool = True,
) -> tuple[ItemDif, ...]:
    """Differential item functioning of each item between two versions of a test.

    ``group_a`` (the reference group, e.g. the original language) and ``group_b`` (the
    focal group, e.g. a translation) are attempts as in :func:`item_analysis`, with the
    same item keys for the same items. An item shows DIF when learners of equal ability do
    not have the same chance of answering it right in both versions: a sign of a
    translation that changed the item's meaning or difficulty.

    * Items are scored right or wrong: a fraction ≥ 0.5 counts as right.
    * Learners are matched on their rest-of-test score: the stratum of an attempt, for an
      item, is (number of other items it was given, number of those it got right). With a
      fixed set of items this is just the number right on the other items; with random
      subsets, only attempts given as many other items are compared.
    * Per item, :func:`mantel_haenszel` over the strata gives α_MH and
      D-DIF = −2.35 ln α_MH, and :func:`ets_class` the ETS category (significance as
      documented there; ``significance=False`` uses the size rules only).
    * Class C is flagged "differs-in-translation". An item given to fewer than ``min_n``
      attempts in either version is flagged "too-few-to-compare" and gets no MH statistics
      and no class; one with no informative stratum is flagged "no-information".

    Items come out in the order they are first met in group A, then group B.
    """
    counts_a, facility_sums_a, n_a = _dif_counts(group_a)
    counts_b, facility_sums_b, n_b = _dif_counts(group_b)
    keys = list(dict.fromkeys([*n_a, *n_b]))
    results: list[ItemDif] = []
    for key in keys:
        size_a, size_b = n_a.get(key, 0), n_b.get(key, 0)
        facility_a = 100.0 * facility_sums_a[key] / size_a if size_a else None
        facility_b = 100.0 * facility_sums_b[key] / size_b if size_b else None
        difference = (
            facility_a - facility_b if facility_a is not None and facility_b is not None else None
        )
        if size_a < min_n or size_b < min_n:
            results.append(
                ItemDif(key, size_a, size_b, facility_a, facility_b, difference, None, None,
                        None, None, ("too-few-to-compare",))
            )  # fmt: skip
            continue
        strata_a, strata_b = counts_a[key], counts_b[key]
        tables = []
        for stratum in strata_a.keys() | strata_b.keys():
            right_a, wrong_a = strata_a.get(stratum, (0, 0))
            right_b, wrong_b = strata_b.get(stratum, (0, 0))
            tables.append((right_a, wrong_a, right_b, wrong_b))
        mh = mantel_haenszel(sorted(tables))
        category = ets_class(mh, significance=significance)
        flags: tuple[str, ...] = ()
        if category is None:
            flags = ("no-information",)
        elif category == "C":
            flags = ("differs-in-translation",)
        results.append(
            ItemDif(key, size_a, size_b, facility_a, facility_b, difference, mh, mh.alpha,
                    mh.d_dif, category, flags)
        )  # fmt: skip
    return tuple(results)


def _dif_counts(
    attempts: Iterable[Attempt],
) -> tuple[
    dict[Hashable, dict[tuple[int, int], tuple[int, int]]],
    dict[Hashable, float],
    dict[Hashable, int],
]:
    """Per item: (right, wrong) per stratum, the sum of fractions, and the count."""
    counts: dict[Hashable, dict[tuple[int, int], tuple[int, int]]] = {}
    sums: dict[Hashable, float] = {}
    sizes: dict[Hashable, int] = {}
    for attempt in attempts:
        fractions = _check_attempt(attempt)
        others = len(fractions) - 1
        right_total = sum(1 for x in fractions.values() if x >= 0.5)
        for key, x in fractions.items():
            right = x >= 0.5
            stratum = (others, right_total - right)
            per_item = counts.setdefault(key, {})
            yes, no = per_item.get(stratum, (0, 0))
            per_item[stratum] = (yes + 1, no) if right else (yes, no + 1)
            sums[key] = sums.get(key, 0.0) + x
            sizes[key] = sizes.get(key, 0) + 1
    return counts, sums, sizes


# --------------------------------------------------------------------------------------------
# 6. Per module / learning objective
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagFacility:
    """How well the items of one tag (a module, a learning objective) were answered."""

    tag: str
    #: The tag's items that at least one attempt was given, in first-seen order.
    items: tuple[ItemKey, ...]
    #: The mean of those items' facility indices (each item counts once, whatever its n).
    mean_facility: float | None
    #: Responses to those items, in all.
    responses: int


def by_tag(
    attempts: Iterable[Attempt], tags: Mapping[ItemKey, Iterable[str]]
) -> tuple[TagFacility, ...]:
    """The mean facility of each tag's items, so a page can show which objectives were met.

    Facility of an item = 100 · mean fraction over the attempts given it (as in
    :func:`item_analysis`); a tag's figure is the unweighted mean over its items that were
    given at least once. Items without tags are ignored; a tag none of whose items was given
    has ``mean_facility`` None. Tags come out in alphabetical order.
    """
    sums: dict[Hashable, float] = {}
    sizes: dict[Hashable, int] = {}
    for attempt in attempts:
        for key, x in _check_attempt(attempt).items():
            sums[key] = sums.get(key, 0.0) + x
            sizes[key] = sizes.get(key, 0) + 1
    members: dict[str, list[Hashable]] = {}
    for key, item_tags in tags.items():
        for tag in item_tags:
            members.setdefault(tag, [])
            if key in sizes:
                members[tag].append(key)
    results: list[TagFacility] = []
    for tag in sorted(members):
        seen = members[tag]
        facilities = [100.0 * sums[key] / sizes[key] for key in seen]
        results.append(
            TagFacility(tag, tuple(seen), _mean(facilities), sum(sizes[key] for key in seen))
        )
    return tuple(results)


@dataclass(frozen=True)
class TagGain:
    """Pre-test and post-test results on one tag's items, over matched learners."""

    tag: str
    #: Learners given at least one of the tag's items in both their pre- and post-test.
    n: int
    #: Means over those learners of their per-tag score (mean fraction over the tag's items
    #: they were given, in per cent).
    mean_pre: float | None
    mean_post: float | None
    mean_gain: float | None
    #: Hake's ⟨g⟩ of the tag: (mean post − mean pre) / (100 − mean pre).
    class_average_g: float | None


def tag_gain(
    pre_attempts: Mapping[Hashable, Attempt],
    post_attempts: Mapping[Hashable, Attempt],
    tags: Mapping[ItemKey, Iterable[str]],
) -> tuple[TagGain, ...]:
    """Pre/post gain per tag for the learners who took both tests.

    ``pre_attempts`` and ``post_attempts`` map a learner id to that learner's attempt.
    For each learner in both, and each tag, the learner's tag score on a test is the mean
    fraction of the tag's items that test gave them, in per cent; the pair counts for the
    tag when both tests gave the learner at least one of its items (pre and post may draw
    different items of the same objective). Tags come out in alphabetical order.
    """
    listed = {key: tuple(dict.fromkeys(item_tags)) for key, item_tags in tags.items()}
    all_tags = sorted({tag for item_tags in listed.values() for tag in item_tags})
    index_of = {tag: index for index, tag in enumerate(all_tags)}
    tags_of = {key: tuple(index_of[tag] for tag in t) for key, t in listed.items()}
    pre_scores: list[list[float]] = [[] for _ in all_tags]
    post_scores: list[list[float]] = [[] for _ in all_tags]
    for learner, pre in pre_attempts.items():
        post = post_attempts.get(learner)
        if post is None:
            continue
        before = _tag_scores(_check_attempt(pre), tags_of, len(all_tags))
        after = _tag_scores(_check_attempt(post), tags_of, len(all_tags))
        for index in before.keys() & after.keys():
            pre_scores[index].append(before[index])
            post_scores[index].append(after[index])
    results: list[TagGain] = []
    for index, tag in enumerate(all_tags):
        mean_pre, mean_post = _mean(pre_scores[index]), _mean(post_scores[index])
        gain = g = None
        if mean_pre is not None and mean_post is not None:
            gain = mean_post - mean_pre
            g = gain / (100.0 - mean_pre) if mean_pre < 100.0 else None
        results.append(TagGain(tag, len(pre_scores[index]), mean_pre, mean_post, gain, g))
    return tuple(results)


def _tag_scores(
    fractions: Mapping[Hashable, float], tags_of: Mapping[Hashable, tuple[int, ...]], size: int
) -> dict[int, float]:
    """One attempt's score per tag (by index): 100 · mean fraction over the tag's items."""
    sums = [0.0] * size
    counts = [0] * size
    for key, x in fractions.items():
        for index in tags_of.get(key, ()):
            sums[index] += x
            counts[index] += 1
    return {index: 100.0 * sums[index] / count for index, count in enumerate(counts) if count}
