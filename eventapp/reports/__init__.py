"""Reports: the Chair's summary and the full meeting report, rendered as tagged PDFs and
published as immutable versions (contract, sections 3 to 5).

service.py gathers what a document needs, render.py turns it into HTML and PDF, publish.py
stores versions, routes.py serves them.
"""
