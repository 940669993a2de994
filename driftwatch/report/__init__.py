"""Reports people read and SIEMs parse: the HTML posture report and OCSF findings."""

from .data import build_report, report_workspaces
from .html import render_html, write_html

__all__ = ["build_report", "render_html", "report_workspaces", "write_html"]
