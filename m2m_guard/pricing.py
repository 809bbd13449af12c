"""What Cognito and AWS Lambda charge: the default price table and the ``Pricing`` a policy sets.

Amazon Cognito bills machine-to-machine use per app client per month and per token request
(https://aws.amazon.com/cognito/pricing/, "Machine-to-machine (M2M) authorization"). The default
price table below is what m2m-guard could establish on DEFAULT_PRICES_CHECKED (README, "Prices"):
AWS's pricing page says there is no free tier for M2M app clients or token requests, but the
figures themselves render from price data that m2m-guard could not read there, so they come from
AWS billing descriptions quoted by third parties and are labelled unconfirmed in every cost
report. Every figure is a policy setting (``pricing:``), because AWS has changed them before and
they vary by region and agreement.

Money is :class:`decimal.Decimal` throughout, from the price table to every report: prices are
read from the policy as written (never through binary floating point), each line item of a
report (the clients, the token requests, the Lambda invocations of one pool) is rounded half-up
to the cent as a bill shows it (:func:`cents`), and every total is the sum of the line items it
shows. Token requests are billed whole: a month's count is rounded to a whole number
(:func:`whole`) before it is priced.

The Lambda defaults (for pools that customize M2M access tokens, see m2m_guard/cost.py) are AWS
Lambda's published x86 prices in US East (N. Virginia), checked on LAMBDA_PRICES_CHECKED (README,
"Prices"); the memory and duration are lower bounds (Lambda's smallest memory size and its 1 ms
billing unit), so that a total with them stays "at least" what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, get_args

APP_CLIENT_MONTH_USD = Decimal("6.00")
TOKEN_REQUEST_USD = Decimal("0.00225")
#: When the default price table was last checked against AWS's pages, and where.
DEFAULT_PRICES_CHECKED = "2026-11-30"
PRICING_PAGE = "https://aws.amazon.com/cognito/pricing/"
#: AWS Lambda, x86, US East (N. Virginia): USD 0.20 per million requests and USD 0.0000166667
#: per GB-second (the first 6 billion GB-seconds a month), https://aws.amazon.com/lambda/pricing/
#: and https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html (which
#: round it to 0.00001667). The free tier (1 million requests, 400,000 GB-seconds a month) is
#: shared by every function of the account, so it is not deducted.
LAMBDA_REQUEST_USD = Decimal("0.0000002")
LAMBDA_GB_SECOND_USD = Decimal("0.0000166667")
#: Lambda's default and smallest memory size (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
LAMBDA_MEMORY_MB = 128
#: Lambda bills duration rounded up to the millisecond, so an invocation bills 1 ms at least.
LAMBDA_DURATION_MS = Decimal("1")
LAMBDA_PRICES_CHECKED = "2026-11-30"
LAMBDA_PRICING_PAGE = "https://aws.amazon.com/lambda/pricing/"
#: The pricing keys a policy can set.
PricingKey = Literal[
    "app_client_month_usd",
    "token_request_usd",
    "token_request_tiers",
    "lambda_request_usd",
    "lambda_gb_second_usd",
    "lambda_memory_mb",
    "lambda_duration_ms",
]
#: The same keys, in the order reports list them.
PRICING_KEYS: tuple[PricingKey, ...] = get_args(PricingKey)
#: The keys of the Lambda invocation that a customizing pool adds to each token request.
LAMBDA_KEYS: tuple[PricingKey, ...] = PRICING_KEYS[3:]
#: The default of every single-figure key, to tell a figure built in code from the default.
DEFAULT_FIGURES: dict[PricingKey, Decimal | int] = {
    "app_client_month_usd": APP_CLIENT_MONTH_USD,
    "token_request_usd": TOKEN_REQUEST_USD,
    "lambda_request_usd": LAMBDA_REQUEST_USD,
    "lambda_gb_second_usd": LAMBDA_GB_SECOND_USD,
    "lambda_memory_mb": LAMBDA_MEMORY_MB,
    "lambda_duration_ms": LAMBDA_DURATION_MS,
}
#: Default figures that AWS's own pages did not confirm, by the policy key that overrides each.
UNCONFIRMED_DEFAULTS: dict[PricingKey, str] = {
    "app_client_month_usd": "USD 6.00 per app client a month",
    "token_request_usd": (
        "USD 0.00225 per token request at any volume (AWS's lower prices above its first tier are unknown "
        "here, so larger request amounts may be high)"
    ),
}
#: AWS prices a month as 730 hours.
HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
CENT = Decimal("0.01")
ZERO = Decimal(0)


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to the cent, as a bill shows a line item (``3.285`` ->
    ``3.29``); an amount that is not finite stays as it is."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP) if amount.is_finite() else amount


def whole(requests: Decimal | int) -> int:
    """A month's token requests as billed: whole requests, rounded half-up."""
    if isinstance(requests, int):
        return requests
    return int(requests.to_integral_value(rounding=ROUND_HALF_UP))


def amount(value: int | float | Decimal) -> Decimal:
    """A figure read from a policy (a budget) as a decimal: a float from its shortest repr,
    which is the number as written for any figure of up to 15 significant digits (every
    budget to the cent within the schema's 1,000,000,000 maximum), never its binary expansion."""
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def price_text(price: Decimal) -> str:
    """A price as written on AWS's pages: ``0.00225``, ``0.0000166667``, never ``2.25E-3``."""
    return format(price, "f")


@dataclass(frozen=True)
class Tier:
    up_to: int | None  # requests per month this tier covers up to; None = no upper bound
    usd: Decimal


@dataclass(frozen=True)
class Pricing:
    app_client_month_usd: Decimal = APP_CLIENT_MONTH_USD
    token_request_usd: Decimal = TOKEN_REQUEST_USD
    #: Graduated tiers; when given they replace ``token_request_usd``.
    token_request_tiers: tuple[Tier, ...] = ()
    #: The Lambda invocation of a pool that customizes M2M access tokens, per token request.
    lambda_request_usd: Decimal = LAMBDA_REQUEST_USD
    lambda_gb_second_usd: Decimal = LAMBDA_GB_SECOND_USD
    lambda_memory_mb: int = LAMBDA_MEMORY_MB
    lambda_duration_ms: Decimal = LAMBDA_DURATION_MS
    #: The policy that set some of the figures (None: m2m-guard's defaults throughout), and the
    #: keys it set; the other figures are the defaults.
    policy: str | None = None
    overrides: tuple[PricingKey, ...] = ()

    def replaced(self) -> tuple[PricingKey, ...]:
        """The pricing keys whose figure is not m2m-guard's default, in PRICING_KEYS order."""
        keys: set[PricingKey] = set(self.overrides)
        if self.policy is None:  # built in code: a figure other than the default is not one
            keys.update(k for k, default in DEFAULT_FIGURES.items() if getattr(self, k) != default)
            if self.token_request_tiers:
                keys.add("token_request_tiers")
        return tuple(k for k in PRICING_KEYS if k in keys)

    def defaults_in_use(self, lambda_used: bool = False) -> tuple[PricingKey, ...]:
        """The pricing keys whose figure is m2m-guard's default (tiers count with the request
        price); the Lambda keys only when ``lambda_used`` (a report that prices an invocation)."""
        keys = set(self.replaced())
        in_use: list[PricingKey] = []
        if "app_client_month_usd" not in keys:
            in_use.append("app_client_month_usd")
        if not {"token_request_usd", "token_request_tiers"} & keys:
            in_use.append("token_request_usd")
        if lambda_used:
            in_use.extend(k for k in LAMBDA_KEYS if k not in keys)
        return tuple(in_use)

    def unconfirmed(self) -> tuple[str, ...]:
        """What the default figures in use are, for those AWS's pages did not confirm."""
        return tuple(UNCONFIRMED_DEFAULTS[k] for k in self.defaults_in_use() if k in UNCONFIRMED_DEFAULTS)

    def table(self, lambda_used: bool = False) -> str:
        """Which price table a report used, in one phrase (the Lambda figures count only when
        ``lambda_used``)."""
        defaults = f"m2m-guard's defaults (Amazon Cognito list prices, checked {DEFAULT_PRICES_CHECKED})"
        if lambda_used:
            defaults = defaults[:-1] + f"; AWS Lambda list prices, checked {LAMBDA_PRICES_CHECKED})"
        keys = self.replaced() if lambda_used else tuple(k for k in self.replaced() if k not in LAMBDA_KEYS)
        if not keys:
            return defaults
        owner = f"the policy's ({self.policy})" if self.policy else "custom prices"
        if not self.defaults_in_use(lambda_used):
            return owner
        return f"{owner} for {', '.join(keys)}; {defaults} for the rest"

    @property
    def lambda_invocation_usd(self) -> Decimal:
        """What one invocation of a pre token generation trigger costs: the request, plus the
        duration in GB-seconds (memory in MB / 1024 × seconds, as AWS's examples compute it);
        exact (1/1024 is a finite decimal)."""
        gb_seconds = Decimal(self.lambda_memory_mb) / 1024 * self.lambda_duration_ms / 1000
        return self.lambda_request_usd + gb_seconds * self.lambda_gb_second_usd

    def requests_usd(self, requests: int) -> Decimal:
        """Price of ``requests`` whole token requests in one month (graduated tiers if any),
        exact: round it with :func:`cents` to show it."""
        if not self.token_request_tiers:
            return requests * self.token_request_usd
        total, floor = ZERO, 0
        tiers = self.token_request_tiers
        for index, tier in enumerate(tiers):
            last = index == len(tiers) - 1
            # past the last bounded tier, its price carries on
            ceiling = None if tier.up_to is None or last else tier.up_to
            upper = requests if ceiling is None else min(requests, ceiling)
            total += max(0, upper - floor) * tier.usd
            if ceiling is None or requests <= ceiling:
                break
            floor = ceiling
        return total
