"""An uploaded evidence file refused before a byte of it was stored."""

from __future__ import annotations

from tuika.domain.errors.base import InvalidInput


class EvidenceRejected(InvalidInput):
    """An uploaded evidence file was refused; nothing was stored."""

    code = "evidence_rejected"
    title = "The evidence file was rejected"
    title_zh = "凭证文件被拒绝"


class EvidenceTooLarge(EvidenceRejected):
    """The file is bigger than the configured byte limit."""

    code = "evidence_too_large"
    title = "The evidence file is too large"
    title_zh = "凭证文件过大"


class EvidenceTypeNotAllowed(EvidenceRejected):
    """The file is not a PNG, JPEG or WebP image."""

    code = "evidence_type_not_allowed"
    title = "Only PNG, JPEG and WebP images are accepted"
    title_zh = "仅支持 PNG、JPEG 和 WebP 图片"


class EvidenceTooManyPixels(EvidenceRejected):
    """The image dimensions exceed the configured pixel limit."""

    code = "evidence_too_many_pixels"
    title = "The image has too many pixels"
    title_zh = "图片像素过多"


class EvidenceTooLargeDecoded(EvidenceRejected):
    """The decoded image (pixels times bytes per pixel) exceeds the configured budget."""

    code = "evidence_too_large_decoded"
    title = "The image is too large once decoded: too many pixels or too deep a colour"
    title_zh = "图片尺寸或色深过大，解码后超出上限"


class EvidenceAnimated(EvidenceRejected):
    """The image is animated (APNG or animated WebP); evidence must be one still picture."""

    code = "evidence_animated"
    title = "Animated images are not accepted; upload a still screenshot"
    title_zh = "不支持动图，请上传静态截图"


class EvidenceCorrupt(EvidenceRejected):
    """The file claims an allowed format but is truncated or damaged."""

    code = "evidence_corrupt"
    title = "The image file is damaged or incomplete"
    title_zh = "图片文件已损坏或不完整"
