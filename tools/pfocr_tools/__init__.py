"""pfocr-tools: command-line tools for Pathway Figure OCR (PFOCR) records."""

__version__ = "0.1.0"
