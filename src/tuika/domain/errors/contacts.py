"""Where people are reached, refused: a phone number, an email address, a device, quiet hours."""

from __future__ import annotations

from tuika.domain.errors.base import InvalidInput

MAX_DEVICES = 10


class PhoneInvalid(InvalidInput):
    code = "phone_invalid"
    title = "A mainland China mobile number is required: 11 digits starting with 1"
    title_zh = "请填写中国大陆手机号：以 1 开头的 11 位数字"


class EmailInvalid(InvalidInput):
    code = "email_invalid"
    title = "This is not an email address"
    title_zh = "邮箱地址格式不正确"


class QuietHoursInvalid(InvalidInput):
    code = "quiet_hours_invalid"
    title = "Quiet hours are two different times, HH:MM, Beijing time"
    title_zh = "免打扰时段须为两个不同的时间（HH:MM，北京时间）"


class DeviceTokenInvalid(InvalidInput):
    code = "device_token_invalid"
    title = "A push registration id is 1 to 64 letters, digits, '-' or '_'"
    title_zh = "推送设备标识须为 1 到 64 位字母、数字、“-”或“_”"


class InboxAlwaysOn(InvalidInput):
    code = "inbox_always_on"
    title = "The in-site inbox cannot be turned off"
    title_zh = "站内信无法关闭"
