"""HTML output: jinja2 templates (autoescape on) for the pages the auditor serves or writes."""
