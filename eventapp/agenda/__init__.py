"""The agenda: building it, its read model and its public exports.

published.py is the one read model of the agenda (what the public page, the exports, the
printable agenda and the reports' annex show), built once from the database; ical.py and
schedule.py write it as iCalendar and frab/c3voc XML and JSON, service.py renders the printable
PDF through the reports' locked-down WeasyPrint machinery and caches it on disk, routes.py
serves them with ETags; sessions.py and forms.py are the organisers' side.
"""
