"""The header and the words of a pack file (docs/decisions.md 51); the records are checked by their models."""

from pydantic import BaseModel, ConfigDict, Field


class PackHeader(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    version: str = Field(pattern=r"^\d+(\.\d+){1,3}$", max_length=20)
    title: str = Field(min_length=1, max_length=60)
    title_en: str = Field(min_length=1, max_length=60)
    industry: str = Field(min_length=1, max_length=20)
    description: str = Field(default="", max_length=2000)
    description_en: str = Field(default="", max_length=2000)


class PackWords(BaseModel):
    """What the UI calls the customer and the manager in this industry (客户 / 用户 / 零售户 / 大客户)."""

    model_config = ConfigDict(extra="forbid")

    customer: str = Field(default="客户", min_length=1, max_length=10)
    customer_en: str = Field(default="customer", min_length=1, max_length=30)
    manager: str = Field(default="客户经理", min_length=1, max_length=10)
    manager_en: str = Field(default="relationship manager", min_length=1, max_length=40)
