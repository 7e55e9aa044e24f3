"""The office's web app (DESIGN §13): Django over one archive, served by waitress.

Settings are built in code from the archive's path (``settings.setup``): there is no settings file
for a clerk to edit, and the app's tables live in the archive's own ``.wenshu/web.sqlite3``.
"""
