"""组团帮扶: the city's administrative villages with their yearly figures (collective income and
its operating part, in integer fen) and the towns' rural per-capita disposable income. Every
figure a page or the summary shows is read from these stored yearly rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Village(models.Model):
    """An administrative village (行政村): its place in the city and its party organization."""

    code = models.CharField("村代码", max_length=32, unique=True)
    name = models.CharField("村名", max_length=50)
    town = models.CharField("镇（街道）", max_length=50)
    district = models.CharField("区", max_length=50)
    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="villages",
        verbose_name="村党组织",
    )
    population = models.PositiveIntegerField("户籍人口", default=0)
    households = models.PositiveIntegerField("户数", default=0)
    key = models.BooleanField("重点村", default=False)

    class Meta:
        verbose_name = "行政村"
        verbose_name_plural = "行政村"
        ordering = ["district", "town", "code"]

    def __str__(self) -> str:
        return self.name


class VillageYear(models.Model):
    """A village's figures for a year: collective income and its operating part (fen)."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField("年度")
    collective_fen = models.BigIntegerField("村集体收入（分）")
    operating_fen = models.BigIntegerField("其中经营性收入（分）", default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "村年度收入"
        verbose_name_plural = "村年度收入"
        ordering = ["village", "year"]
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="villages_year_once"),
            models.CheckConstraint(
                condition=models.Q(collective_fen__gte=0, operating_fen__gte=0)
                & models.Q(operating_fen__lte=models.F("collective_fen")),
                name="villages_income_sane",
            ),
        ]
        indexes = [models.Index(fields=["year"], name="villages_year_idx")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.year}"


class TownYear(models.Model):
    """A town's rural per-capita disposable income for a year (fen)."""

    district = models.CharField("区", max_length=50)
    town = models.CharField("镇（街道）", max_length=50)
    year = models.PositiveSmallIntegerField("年度")
    disposable_fen = models.BigIntegerField("农村居民人均可支配收入（分）")

    class Meta:
        verbose_name = "镇年度人均可支配收入"
        verbose_name_plural = "镇年度人均可支配收入"
        ordering = ["district", "town", "year"]
        constraints = [
            models.UniqueConstraint(fields=["district", "town", "year"], name="villages_town_once"),
            models.CheckConstraint(
                condition=models.Q(disposable_fen__gte=0), name="villages_town_income_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.town} {self.year}"
