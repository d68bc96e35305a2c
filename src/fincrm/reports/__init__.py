"""Reports: HTML and PDF documents with charts, zh-CN and English."""
