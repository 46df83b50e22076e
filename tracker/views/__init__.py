"""Server-rendered pages. Each module holds one area; tracker/page_urls.py wires them."""
