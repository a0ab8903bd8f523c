"""The evidence pipeline: OCR, field extraction, forensics, supplier verification."""
