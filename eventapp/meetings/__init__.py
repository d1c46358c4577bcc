"""The meeting's own settings and its organisations, as the organisers change them.

service.py holds the rules for the settings (used by the settings page and PATCH of the API),
organisations.py those for the meeting's organisations (add, edit, merge); routes.py and
forms.py are the organisers' pages.
"""
