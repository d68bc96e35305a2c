"""Masking of personal data for display. Pages and exports show masked values by default."""

from __future__ import annotations


def mask_national_id(value: str) -> str:
    """Keep the first 3 and last 4 characters of a national ID number.

    Examples
    --------
    >>> mask_national_id("110105199003071234")
    '110***********1234'
    """
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    """Keep the first 3 and last 4 digits of a mobile number.

    Examples
    --------
    >>> mask_phone("13812345678")
    '138****5678'
    """
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """Keep the surname (first character) of a Chinese name, or the first letter of a Latin one.

    Examples
    --------
    >>> mask_name("张伟")
    '张*'
    >>> mask_name("欧阳娜娜")
    '欧***'
    """
    return value[:1] + "*" * max(len(value) - 1, 1) if value else value


def mask_email(value: str) -> str:
    """Examples
    --------
    >>> mask_email("zhang.wei@example.cn")
    'z***@example.cn'
    """
    local, _, domain = value.partition("@")
    return (local[:1] + "***@" + domain) if domain else mask_name(value)
