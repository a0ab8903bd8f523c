"""OCR engines behind the ``Ocr`` port; ``paddle.PaddleOcr`` runs PP-OCR models on the CPU, offline."""
