"""The pages (ask, curate, admin), rendered on the server with a little JavaScript; see web/pages.py."""
