"""The web portal (FastAPI + Jinja2): the forms behind the links in emails, the data team's page
and the personal calendar feeds. Server-rendered Danish pages that work without JavaScript.

Entry point: `kvalitetsloop web --host --port` (portal.app.create_app). Like the command line it
builds a unit of work per request and calls the use cases in kvalitetsloop/usecases/.
"""
