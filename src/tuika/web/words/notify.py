"""Words of the notification settings page (消息 → 通知设置): channels, quiet hours, contacts, devices."""

from __future__ import annotations

from typing import Final

WORDS: Final[dict[str, tuple[str, str]]] = {
    "notify.title": ("通知设置", "Notification settings"),
    "notify.link": ("通知设置", "Notification settings"),
    "notify.back": ("返回消息", "Back to messages"),
    "notify.save": ("保存设置", "Save settings"),
    "notify.done.saved": ("已保存", "Saved"),
    "notify.done.phone_removed": ("已删除手机号", "The mobile number is removed"),
    "notify.done.email_removed": ("已删除邮箱", "The email address is removed"),
    "notify.done.device_removed": ("已移除设备", "The device is removed"),
    "notify.not_saved": ("未保存", "Not saved"),
    "notify.not_saved_text": (
        "设置没有任何改动，请修改后重新保存。",
        "Nothing was changed; correct it and save again.",
    ),
    "notify.device_not_found": (
        "未找到这台设备，它可能已被移除。",
        "This device was not found; it may have been removed already.",
    ),
    # Channels
    "notify.channels": ("接收渠道", "Channels"),
    "notify.channels.intro": (
        "站内信收到每一条通知；短信、App 推送和邮件只在部分进展时发送，例如退款到账。",
        "The inbox gets every message; texts, app pushes and emails go out only at some steps, "
        "such as when your refund arrives.",
    ),
    "notify.channel.inbox": ("站内信", "Inbox on this site"),
    "notify.channel.sms": ("短信", "Text message (SMS)"),
    "notify.channel.push": ("App 推送", "App push"),
    "notify.channel.email": ("邮件", "Email"),
    "notify.always_on": ("始终开启", "Always on"),
    "notify.inbox_note": (
        "站内信是所有通知的记录，无法关闭。",
        "The inbox is the record of every message: it cannot be turned off.",
    ),
    "notify.not_offered": (
        "本站暂未开通此渠道，开通前不会发送。",
        "This site does not send on this channel yet; nothing is sent on it until it does.",
    ),
    "notify.sms_no_phone": ("尚未填写手机号，不会发送短信。", "No mobile number yet: no text is sent."),
    "notify.push_no_device": ("还没有登记的设备，不会发送推送。", "No device registered yet: no push is sent."),
    "notify.email_no_email": ("尚未填写邮箱，不会发送邮件。", "No email address yet: no email is sent."),
    # Quiet hours
    "notify.quiet": ("免打扰时段", "Quiet hours"),
    "notify.quiet_on": ("开启免打扰", "Turn on quiet hours"),
    # What is saved, beside the heading: the times below are only a suggestion while it is off.
    "notify.quiet_state_on": ("已开启 {start}–{end}", "On, {start}–{end}"),
    "notify.quiet_state_off": ("未开启", "Off"),
    "notify.quiet_start": ("开始", "From"),
    "notify.quiet_end": ("结束", "Until"),
    "notify.beijing": ("北京时间", "Beijing time"),
    "notify.quiet_text": (
        "在这段时间里，短信、App 推送和邮件会等到时段结束再发出；站内信照常立即送达。"
        "开始晚于结束表示跨过午夜，例如 22:00 至次日 08:00。",
        "During these hours, texts, pushes and emails wait until the hours end; the inbox still gets them at once. "
        "A start later than the end spans midnight, e.g. 22:00 to 08:00 the next day.",
    ),
    "notify.quiet_arrived": ("到账通知始终即时发送", "The money-arrived message is always sent at once"),
    "notify.quiet_arrived_text": (
        "退款到账的通知不受免打扰限制：即使在免打扰时段内，也会在您开启的渠道上立即发出。",
        "The message that your refund has arrived is never held back: even in quiet hours it goes out at once "
        "on the channels you left on.",
    ),
    # Contacts
    "notify.phone": ("手机号", "Mobile number"),
    "notify.email": ("邮箱", "Email address"),
    "notify.current": ("当前", "Now"),
    "notify.none_set": ("未填写", "None"),
    "notify.phone_new": ("新手机号", "New mobile number"),
    "notify.email_new": ("新邮箱", "New email address"),
    "notify.phone_help": (
        "中国大陆手机号，用于接收短信。留空则保持不变。",
        "A mainland China mobile number, for texts. Leave it empty to keep the current one.",
    ),
    "notify.email_help": ("用于接收邮件。留空则保持不变。", "For emails. Leave it empty to keep the current one."),
    "notify.phone_remove": ("删除手机号", "Remove the number"),
    "notify.email_remove": ("删除邮箱", "Remove the address"),
    "notify.phone_remove_note": ("删除后不再发送短信。", "Once removed, no text is sent."),
    "notify.email_remove_note": ("删除后不再发送邮件。", "Once removed, no email is sent."),
    # Language
    "notify.language": ("消息语言", "Message language"),
    "notify.language_text": (
        "短信、App 推送和邮件使用的语言。站内信和本页面的语言请用页面顶部的「English / 中文」切换。",
        "The language texts, pushes and emails are written in. The inbox and these pages follow the "
        "“English / 中文” switch at the top of the page.",
    ),
    # Devices
    "notify.devices": ("接收推送的设备", "Devices that get pushes"),
    "notify.devices_count": ("共 {n} 台", "{n} in all"),
    "notify.devices_text": (
        "在 App 中登记过、可以接收推送的手机。移除后，这台设备不再收到推送，直到 App 再次登记。",
        "Phones whose app registered for pushes. A removed device gets no pushes until its app registers again.",
    ),
    "notify.devices_none": ("还没有登记接收推送的设备。", "No device is registered for pushes."),
    "notify.platform.android": ("Android", "Android"),
    "notify.platform.ios": ("iOS", "iOS"),
    "notify.token_end": ("设备标识末尾 {end}", "Device id ending {end}"),
    "notify.last_seen": ("最近使用 {at}（北京时间）", "Last seen {at} (Beijing time)"),
    "notify.remove": ("移除", "Remove"),
}
