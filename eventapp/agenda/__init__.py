"""The agenda's public exports: iCalendar, frab/c3voc schedule (XML and JSON), printable PDF.

service.py gathers the published agenda as plain data (public sessions only, listed people
only), ical.py and schedule.py write the feeds, routes.py serves them with ETags, and the PDF
is rendered through the reports' locked-down WeasyPrint machinery and cached on disk.
"""
